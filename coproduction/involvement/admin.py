"""No admin for involvement: coordinators and host organisations manage
opportunities, attendance and expense claims on their own pages
(coproduction.involvement.views), which keep to their timebank and
organisation. An admin here would need the timebank scoping of timebank.admin
and a place in tests/api/test_tenancy.py's admin matrix."""
