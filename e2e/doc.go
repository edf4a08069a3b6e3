// Package e2e tests kassa as people use it: the real server on a demo
// database, driven through headless Chromium. It has tests only.
//
// Without /usr/bin/chromium the tests skip, unless KASSA_REQUIRE_BROWSER=1
// says a browser must be there. KASSA_SCREENSHOTS=DIR saves screenshots of
// the pages into DIR for a person to look at.
package e2e
