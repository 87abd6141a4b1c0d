"""A FHIR R4 interface under /fhir/R4/ for GP and link-worker systems, beside the
JSON API: the same OAuth2 clients, scopes, throttles, organisation rules, consent
policy and access log. Referrals follow the HL7 Gravity SDOH Clinical Care
pattern (a Task for referral management whose focus is the ServiceRequest).
The mapping is described in docs/fhir.md."""
