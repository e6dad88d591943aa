package wecom

// SetCrash makes t's sends stop before (before=true) or after the call to
// WeCom when fn returns an error, as a process killed there would.
func SetCrash(t *Transfers, fn func(before bool, key string) error) { t.crash = fn }
