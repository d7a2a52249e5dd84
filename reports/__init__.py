"""The program report drawn and written: charts (matplotlib, PNG) and the html, md and pdf
documents. The numbers are core's (core/reports); nothing here reads the database or Slack."""
