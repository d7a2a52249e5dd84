"""The `/evidence` actions over boto3 (one module per action), listed for the registry."""

from aws.actions.evidence.collect_disk import CollectDisk
from aws.actions.evidence.collect_instance_data import CollectInstanceData
from aws.actions.evidence.collect_logs import CollectLogs
from aws.actions.evidence.collect_memory import CollectMemory

EVIDENCE_ACTIONS: tuple = (CollectDisk(), CollectMemory(), CollectInstanceData(), CollectLogs())
