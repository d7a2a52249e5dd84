-- /investigate principal --source athena: calls made by the principal: its ARN, a user, role or session name, or the role behind assumed-role sessions
-- Athena over the standard CloudTrail table ({table} is "database"."table" from config).
-- :markers are bound as ExecutionParameters (never written into this text); see core/investigation/pack.py.
SELECT eventtime, eventname, eventsource, useridentity.arn AS principal,
       sourceipaddress AS sourceip, useragent, errorcode, eventid
FROM {table}
WHERE eventtime >= :start AND eventtime < :end
  AND (:account = '' OR recipientaccountid = :account)
  AND (:region = '' OR awsregion = :region)
  AND (useridentity.arn = :value
       OR useridentity.username = :name
       OR useridentity.sessioncontext.sessionissuer.arn = :value
       OR useridentity.sessioncontext.sessionissuer.username = :name
       OR element_at(split(useridentity.arn, '/'), -1) = :name)
ORDER BY eventtime
LIMIT {limit}
