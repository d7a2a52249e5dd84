-- /investigate instance --source athena: calls about the instance, and calls made with its role's credentials
-- Athena over the standard CloudTrail table ({table} is "database"."table" from config).
-- :markers are bound as ExecutionParameters (never written into this text); see core/investigation/pack.py.
SELECT eventtime, eventname, eventsource, useridentity.arn AS principal,
       sourceipaddress AS sourceip, useragent, errorcode, eventid
FROM {table}
WHERE eventtime >= :start AND eventtime < :end
  AND (:account = '' OR recipientaccountid = :account)
  AND (:region = '' OR awsregion = :region)
  AND (json_extract_scalar(requestparameters, '$.instanceId') = :value
       OR strpos(coalesce(requestparameters, ''), :value) > 0
       OR strpos(coalesce(responseelements, ''), :value) > 0
       OR strpos(coalesce(useridentity.principalid, ''), :value) > 0)
ORDER BY eventtime
LIMIT {limit}
