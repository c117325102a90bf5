"""What Git knows: entry dates and renames from one walk of the history (`history`), and what a
change since a base did (`change`: link integrity, findings already there at the base)."""
