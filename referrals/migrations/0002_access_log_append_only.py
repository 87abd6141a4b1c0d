"""On PostgreSQL, refuse UPDATE and DELETE on the referral access log even from
raw SQL (docs/quality.md D2); the ORM refuses them on every database."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION referrals_access_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The referral access log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER referrals_access_log_append_only
    BEFORE UPDATE OR DELETE ON referrals_referralaccesslog
    FOR EACH ROW EXECUTE FUNCTION referrals_access_log_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS referrals_access_log_append_only ON referrals_referralaccesslog;
DROP FUNCTION IF EXISTS referrals_access_log_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
