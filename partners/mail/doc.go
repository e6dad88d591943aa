// Package mail sends Tierlink's e-mail through a durable outbox: every
// mail is a mail_outbox row written in the transaction of the change
// that causes it, rendered then in the recipient's language, and sent by
// a dispatcher with retries, back-off and dead letters. It also signs and
// checks the tokens mail carries: one-click action links, unsubscribe
// links and per-recipient reply addresses.
package mail
