-- /investigate bucket --source lake: calls about the bucket (management events, and data events where the trail logs them)
-- CloudTrail Lake ({event_data_store} is the event data store's id from config). Lake takes no
-- parameters for ad-hoc SQL: each :marker becomes a string literal of a validated value.
SELECT eventTime AS eventtime, eventName AS eventname, eventSource AS eventsource,
       userIdentity.arn AS principal, sourceIPAddress AS sourceip, userAgent AS useragent,
       errorCode AS errorcode, eventID AS eventid
FROM {event_data_store}
WHERE eventTime >= :start AND eventTime < :end
  AND (:account = '' OR recipientAccountId = :account)
  AND (:region = '' OR awsRegion = :region)
  AND element_at(requestParameters, 'bucketName') = :value
ORDER BY eventTime
LIMIT {limit}
