-- /investigate key --source athena: calls signed with the access key
-- Athena over the standard CloudTrail table ({table} is "database"."table" from config).
-- :markers are bound as ExecutionParameters (never written into this text); see core/investigation/pack.py.
SELECT eventtime, eventname, eventsource, useridentity.arn AS principal,
       sourceipaddress AS sourceip, useragent, errorcode, eventid
FROM {table}
WHERE eventtime >= :start AND eventtime < :end
  AND (:account = '' OR recipientaccountid = :account)
  AND (:region = '' OR awsregion = :region)
  AND useridentity.accesskeyid = :value
ORDER BY eventtime
LIMIT {limit}
