"""The `/remediate` actions over boto3 (one module per action), listed for the registry."""

from aws.actions.remediation.delete_access_key import DeleteAccessKey
from aws.actions.remediation.delete_login_profile import DeleteLoginProfile
from aws.actions.remediation.lift_isolation import LiftIsolation
from aws.actions.remediation.patch_instance import PatchInstance
from aws.actions.remediation.replace_instance import ReplaceInstance
from aws.actions.remediation.restore_bucket_policy import RestoreBucketPolicy

REMEDIATION_ACTIONS: tuple = (DeleteAccessKey(), DeleteLoginProfile(), PatchInstance(), ReplaceInstance(),
                              RestoreBucketPolicy(), LiftIsolation())
