"""The program report in Slack: a short summary and the charts as image files."""
