"""Read-only questions about a subject (principal, IP, key, instance, bucket), answered from
CloudTrail: `/investigate`."""
