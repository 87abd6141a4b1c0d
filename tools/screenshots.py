"""Screenshots of the main pages at desktop (1280 px) and phone (320 px) width,
saved in docs/screenshots/ for the README.

Starts nothing itself: run the site first (`make run` serves the demo data on
http://127.0.0.1:8000), then

    .venv/bin/python tools/screenshots.py [--base-url http://127.0.0.1:8000]

It logs in with the demo logins (`manage.py seed_demo` prints them; the
password is the demo one unless --password says otherwise) and uses Debian's
Chromium through Playwright, like the browser tests. A page that cannot be
reached is reported and skipped; the others are still taken.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError, Page, Route, sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
# Width and height of each screenshot: what the screen shows first, not the whole page.
SIZES = {"desktop": (1280, 1000), "phone": (320, 700)}
DEMO_PASSWORD = "timecommons-demo"  # noqa: S105 (the demo data's published password)

# (file name, who is logged in or None, address or a function finding it)
ANONYMOUS = None
MEMBER = "margaret@example.org"
COORDINATOR = "coordinator"
LINK_WORKER = "linkworker"


def first_service(page: Page) -> str:
    page.goto("/directory/?near=RG1")
    return page.locator("ol.results > li a").first.get_attribute("href") or "/directory/"


PAGES = [
    ("home", ANONYMOUS, "/"),
    ("directory-results", ANONYMOUS, "/directory/?near=RG1"),
    ("service", ANONYMOUS, first_service),
    ("member-dashboard", MEMBER, "/"),
    ("my-hours", MEMBER, "/hours/"),
    ("workbench", COORDINATOR, "/coordinator/workbench/"),
    ("referral-form", LINK_WORKER, "/referrals/new/"),
]


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail address or username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _same_site_only(route: Route, *, origin: tuple[str, str]) -> None:
    if _origin(route.request.url) == origin:
        route.continue_()
    else:
        route.abort()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("No Chromium found: install Debian's chromium package.", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    failures = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        for user in dict.fromkeys(who for _, who, _ in PAGES):
            context = browser.new_context(base_url=args.base_url.rstrip("/"))
            # Only the site being photographed is fetched: map tiles and anything else
            # off that address are refused, so the tool never calls a public address.
            context.route("**/*", functools.partial(_same_site_only, origin=_origin(args.base_url)))
            page = context.new_page()
            try:
                if user is not None:
                    log_in(page, user, args.password)
                for name, who, where in PAGES:
                    if who != user:
                        continue
                    address = where(page) if callable(where) else where
                    for label, (width, height) in SIZES.items():
                        page.set_viewport_size({"width": width, "height": height})
                        page.goto(address)
                        target = args.out / f"{name}-{label}.png"
                        page.screenshot(path=str(target))
                        print(f"Saved {target}")
            except PlaywrightError as error:
                failures += 1
                print(f"Could not take the pages for {user or 'a visitor'}: {error}", file=sys.stderr)
            finally:
                context.close()
        browser.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
