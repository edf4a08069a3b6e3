// Package auth signs people in and recognises them afterwards.
//
// Passwords are hashed with argon2id (12 MiB, 3 passes: as strong as OWASP's
// minimum of 19 MiB and 2 passes, in less memory) and at most a few hashes
// run at once, so a burst of sign-ins cannot exhaust memory.
// A sign-in makes a session whose token the client keeps: an API bearer token
// or a browser cookie. Only the token's SHA-256 is stored, so a copy of the
// database signs nobody in. Failed sign-ins are counted in the database per
// account and per client address (so the count holds across restarts and
// across processes on one PostgreSQL) and answered with rate_limited once a
// window's allowance is spent.
package auth
