-- /investigate bucket --source athena: calls about the bucket (management events, and data events where the trail logs them)
-- Athena over the standard CloudTrail table ({table} is "database"."table" from config).
-- :markers are bound as ExecutionParameters (never written into this text); see core/investigation/pack.py.
SELECT eventtime, eventname, eventsource, useridentity.arn AS principal,
       sourceipaddress AS sourceip, useragent, errorcode, eventid
FROM {table}
WHERE eventtime >= :start AND eventtime < :end
  AND (:account = '' OR recipientaccountid = :account)
  AND (:region = '' OR awsregion = :region)
  AND (json_extract_scalar(requestparameters, '$.bucketName') = :value
       OR strpos(coalesce(requestparameters, ''), 'arn:aws:s3:::' || :value) > 0)
ORDER BY eventtime
LIMIT {limit}
