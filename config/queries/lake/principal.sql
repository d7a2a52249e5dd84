-- /investigate principal --source lake: calls made by the principal: its ARN, a user, role or session name, or the role behind assumed-role sessions
-- CloudTrail Lake ({event_data_store} is the event data store's id from config). Lake takes no
-- parameters for ad-hoc SQL: each :marker becomes a string literal of a validated value.
SELECT eventTime AS eventtime, eventName AS eventname, eventSource AS eventsource,
       userIdentity.arn AS principal, sourceIPAddress AS sourceip, userAgent AS useragent,
       errorCode AS errorcode, eventID AS eventid
FROM {event_data_store}
WHERE eventTime >= :start AND eventTime < :end
  AND (:account = '' OR recipientAccountId = :account)
  AND (:region = '' OR awsRegion = :region)
  AND (userIdentity.arn = :value
       OR userIdentity.userName = :name
       OR userIdentity.sessionContext.sessionIssuer.arn = :value
       OR userIdentity.sessionContext.sessionIssuer.userName = :name
       OR element_at(split(userIdentity.arn, '/'), -1) = :name)
ORDER BY eventTime
LIMIT {limit}
