// Package inbound receives replies to Tierlink's mail over SMTP and turns
// each into a post in its group's feed, as the contact (or user) the
// signed reply address names: quoted history and signatures cut, each
// attachment stored as one of the partner's documents under the upload
// rules. Every refusal is logged and kept as a mail_inbound row.
package inbound
