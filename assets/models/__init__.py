"""Community asset directory models (Open Referral UK / HSDS 3.0 shaped)."""
