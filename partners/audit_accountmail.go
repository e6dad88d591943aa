package partners

// The sentences of the account-mail actions (slice M2), added here
// rather than in the auditSentences literal so branches merge cleanly.
func init() {
	for action, key := range map[string]string{
		"invitation.resend":         "audit.invitation_resend",
		"user.password_reset":       "audit.user_password_reset",
		"user.reset_link":           "audit.user_reset_link",
		"user.email_change":         "audit.user_email_change",
		"user.email_change_request": "audit.user_email_change_request",
	} {
		auditSentences[action] = key
	}
}
