"""Community asset directory and referrals (built in issues 3 and 4)."""
