package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tierlink/tierlink/ent/database"
	"github.com/tierlink/tierlink/jobs"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/mail"
	"github.com/tierlink/tierlink/partners/schedule"
	"github.com/tierlink/tierlink/partners/scorecards"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/storage"
)

// Config is the program's configuration, from flags over TIERLINK_*
// environment variables over defaults.
type Config struct {
	Addr            string
	DataDir         string
	DatabaseURL     string
	BaseURL         *url.URL
	TrustedProxies  []netip.Prefix
	TimeZone        *time.Location
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
	DB              database.Target
	S3              *storage.MinIOConfig // nil: local disk
	UploadLimit     int64
	PartnerQuota    int64
	LinkTTL         time.Duration
	// BridgeAllow are internal networks bridges may still reach.
	BridgeAllow []netip.Prefix
	// JobSchedules override jobs' default schedules by name.
	JobSchedules   map[string]string
	DigestSchedule string
	StaleAfter     time.Duration
	ScoreWeights   scorecards.Weights
	// CompanyName and Logo brand the login page and the header.
	CompanyName string
	Logo        []byte
	LogoType    string
	// WeCom is the WeCom self-built app; WeCom.Configured() is false
	// when it is not set up.
	WeCom wecom.Config
	// Mail is how mail is sent; Mail.URL is empty without SMTP.
	Mail mail.Config
}

// parseNets reads a comma-separated list of addresses and CIDRs.
func parseNets(name string, getenv func(string) string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range strings.Split(getenv(name), ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			if a, err := netip.ParseAddr(p); err == nil {
				p = netip.PrefixFrom(a, a.BitLen()).String()
			}
		}
		pr, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, configError{name, fmt.Sprintf("%q is not an address or CIDR", p)}
		}
		out = append(out, pr.Masked())
	}
	return out, nil
}

// logoTypes are the image types a logo may be, by file extension.
var logoTypes = map[string]string{".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}

// readLogo reads the company's logo file, read once at start.
func readLogo(path string) ([]byte, string, error) {
	typ, ok := logoTypes[strings.ToLower(filepath.Ext(path))]
	if !ok {
		return nil, "", fmt.Errorf("%q must be an .svg, .png, .jpg or .webp file", path)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("cannot read %q: %v", path, err)
	}
	if st.Size() > 1<<20 || st.Size() == 0 {
		return nil, "", fmt.Errorf("%q must hold 1 byte to 1 MiB", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("cannot read %q: %v", path, err)
	}
	return b, typ, nil
}

// configError is a bad setting: the program prints it as one line and
// exits 2.
type configError struct{ name, reason string }

func (e configError) Error() string { return e.name + ": " + e.reason }

// envVars lists every variable the program reads, with its default and
// meaning; the README's configuration table is checked against it.
var envVars = []struct{ Name, Default, Help string }{
	{"TIERLINK_ADDR", "127.0.0.1:8080", "address to listen on"},
	{"TIERLINK_DATA_DIR", "./data", "directory for the SQLite database and local files"},
	{"TIERLINK_DATABASE_URL", "", "postgres://… for PostgreSQL; empty for SQLite in the data dir"},
	{"TIERLINK_BASE_URL", "", "URL users reach the portal at; http only on loopback (default http://ADDR)"},
	{"TIERLINK_TRUSTED_PROXIES", "", "comma-separated CIDRs allowed to set X-Forwarded-For"},
	{"TIERLINK_TIME_ZONE", "Asia/Shanghai", "company time zone for pages and schedules"},
	{"TIERLINK_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"TIERLINK_SHUTDOWN_TIMEOUT", "30s", "how long in-flight requests get at shutdown"},
	{"TIERLINK_S3_ENDPOINT", "", "MinIO/S3 host:port; empty stores documents under the data dir"},
	{"TIERLINK_S3_ACCESS_KEY", "", "MinIO/S3 access key"},
	{"TIERLINK_S3_SECRET_KEY", "", "MinIO/S3 secret key"},
	{"TIERLINK_S3_BUCKET", "tierlink", "bucket, created at start if missing"},
	{"TIERLINK_S3_REGION", "us-east-1", "region, always set so presigning needs no network call"},
	{"TIERLINK_S3_SECURE", "true", "use https to MinIO/S3"},
	{"TIERLINK_UPLOAD_LIMIT", "512MiB", "largest document upload"},
	{"TIERLINK_PARTNER_QUOTA", "10GiB", "storage each partner's documents may use together; 0 for no limit"},
	{"TIERLINK_DOWNLOAD_LINK_TTL", "5m", "how long a presigned download link works"},
	{"TIERLINK_DIGEST_SCHEDULE", "30 8 * * 1-5", "default schedule of group status digests (cron, company time zone); each group may set its own"},
	{"TIERLINK_JOB_SCHEDULES", "", "override job schedules: name=cron;name=cron (see tierlink jobs list)"},
	{"TIERLINK_STALE_SHIPMENT_AFTER", "48h", "silence after which a shipment on its way gets a request for an update"},
	{"TIERLINK_SCORE_WEIGHTS", "otif=30,ack=25,replies=15,freshness=10,notice=10,changes=10", "weights of the scorecard's composite score; names left out keep their default"},
	{"TIERLINK_COMPANY_NAME", "Tierlink", "company name on the login page, the header and page titles"},
	{"TIERLINK_LOGO", "", "path of the company logo (SVG, PNG, JPEG or WebP, at most 1 MiB) for the login page and header"},
	{"TIERLINK_BRIDGE_ALLOW_NETS", "", "comma-separated CIDRs of internal networks chat bridges may reach (all internal addresses are refused by default)"},
	{"TIERLINK_WECOM_CORP_ID", "", "WeCom corp id (企业ID); empty turns the WeCom connection off"},
	{"TIERLINK_WECOM_AGENT_ID", "", "WeCom self-built app's AgentId"},
	{"TIERLINK_WECOM_AGENT_SECRET", "", "WeCom app's Secret (never logged or shown)"},
	{"TIERLINK_WECOM_CONTACT_SECRET", "", "WeCom customer-contact (客户联系) Secret, needed for the contact sync (never logged or shown)"},
	{"TIERLINK_WECOM_CALLBACK_TOKEN", "", "WeCom callback Token (never logged or shown)"},
	{"TIERLINK_WECOM_CALLBACK_AES_KEY", "", "WeCom callback EncodingAESKey, 43 characters (never logged or shown)"},
	{"TIERLINK_WECOM_API_BASE", "https://qyapi.weixin.qq.com", "WeCom API base URL (a simulator in tests)"},
	{"TIERLINK_SMTP_URL", "", "SMTP server: smtp://[user:pass@]host[:587][?tls=mandatory|opportunistic|none] or smtps://host[:465]; empty sends no mail (admins copy links instead)"},
	{"TIERLINK_SMTP_USER", "", "SMTP user, instead of the one in the URL"},
	{"TIERLINK_SMTP_PASSWORD", "", "SMTP password, instead of the one in the URL (never logged or shown)"},
	{"TIERLINK_MAIL_FROM", "", "sender of Tierlink's mail, e.g. Tierlink <noreply@example.com>; needed with TIERLINK_SMTP_URL"},
	{"TIERLINK_WECOM_AUTHORIZE_BASE", "https://open.weixin.qq.com", "WeCom OAuth2 authorize page's base URL, for the workbench sign-in (a simulator in tests)"},
}

type configFlags struct {
	addr, dataDir, dbURL, baseURL *string
}

func addConfigFlags(fs *flag.FlagSet, getenv func(string) string, withServe bool) configFlags {
	def := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		for _, e := range envVars {
			if e.Name == name {
				return e.Default
			}
		}
		return ""
	}
	cf := configFlags{
		dataDir: fs.String("data-dir", def("TIERLINK_DATA_DIR"), "data directory (TIERLINK_DATA_DIR)"),
		dbURL:   fs.String("database-url", def("TIERLINK_DATABASE_URL"), "database URL (TIERLINK_DATABASE_URL)"),
	}
	if withServe {
		cf.addr = fs.String("addr", def("TIERLINK_ADDR"), "listen address (TIERLINK_ADDR)")
		cf.baseURL = fs.String("base-url", def("TIERLINK_BASE_URL"), "public URL (TIERLINK_BASE_URL)")
	}
	return cf
}

func loadConfig(cf configFlags, getenv func(string) string) (Config, error) {
	c := Config{DataDir: *cf.dataDir, DatabaseURL: *cf.dbURL}
	if c.DataDir == "" {
		return c, configError{"TIERLINK_DATA_DIR", "must not be empty"}
	}
	var err error
	if c.DB, err = database.ParseURL(c.DatabaseURL, c.DataDir); err != nil {
		return c, configError{"TIERLINK_DATABASE_URL", err.Error()}
	}
	if cf.addr != nil {
		c.Addr = *cf.addr
		host, port, err := net.SplitHostPort(c.Addr)
		if err != nil {
			return c, configError{"TIERLINK_ADDR", "must be host:port, like 127.0.0.1:8080"}
		}
		if _, err := net.LookupPort("tcp", port); err != nil {
			return c, configError{"TIERLINK_ADDR", fmt.Sprintf("bad port %q", port)}
		}
		raw := *cf.baseURL
		if raw == "" {
			if host == "" || host == "0.0.0.0" || host == "::" {
				host = "localhost"
			}
			raw = "http://" + net.JoinHostPort(host, port)
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, configError{"TIERLINK_BASE_URL", "must be an absolute http(s) URL like https://portal.example.com"}
		}
		if u.Scheme == "http" && !isLoopback(u.Hostname()) {
			return c, configError{"TIERLINK_BASE_URL", "plain http is allowed only for localhost; use https (session cookies are Secure)"}
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		c.BaseURL = u
	}
	c.CompanyName = strings.TrimSpace(getenv("TIERLINK_COMPANY_NAME"))
	if len([]rune(c.CompanyName)) > 100 {
		return c, configError{"TIERLINK_COMPANY_NAME", "must be at most 100 characters"}
	}
	if p := getenv("TIERLINK_LOGO"); p != "" {
		if c.Logo, c.LogoType, err = readLogo(p); err != nil {
			return c, configError{"TIERLINK_LOGO", err.Error()}
		}
	}
	if c.TrustedProxies, err = parseNets("TIERLINK_TRUSTED_PROXIES", getenv); err != nil {
		return c, err
	}
	if c.BridgeAllow, err = parseNets("TIERLINK_BRIDGE_ALLOW_NETS", getenv); err != nil {
		return c, err
	}
	tz := getenv("TIERLINK_TIME_ZONE")
	if tz == "" {
		tz = "Asia/Shanghai"
	}
	if c.TimeZone, err = time.LoadLocation(tz); err != nil {
		return c, configError{"TIERLINK_TIME_ZONE", fmt.Sprintf("%q is not an IANA time zone", tz)}
	}
	switch lv := strings.ToLower(getenv("TIERLINK_LOG_LEVEL")); lv {
	case "", "info":
		c.LogLevel = slog.LevelInfo
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "warn":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		return c, configError{"TIERLINK_LOG_LEVEL", "must be debug, info, warn or error"}
	}
	c.ShutdownTimeout = 30 * time.Second
	if v := getenv("TIERLINK_SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, configError{"TIERLINK_SHUTDOWN_TIMEOUT", "must be a positive duration like 30s"}
		}
		c.ShutdownTimeout = d
	}
	if ep := getenv("TIERLINK_S3_ENDPOINT"); ep != "" {
		if strings.Contains(ep, "://") || strings.Contains(ep, "/") {
			return c, configError{"TIERLINK_S3_ENDPOINT", "must be host:port, without a scheme (set TIERLINK_S3_SECURE for https)"}
		}
		s3 := &storage.MinIOConfig{Endpoint: ep, AccessKey: getenv("TIERLINK_S3_ACCESS_KEY"), SecretKey: getenv("TIERLINK_S3_SECRET_KEY"),
			Bucket: or(getenv("TIERLINK_S3_BUCKET"), "tierlink"), Region: or(getenv("TIERLINK_S3_REGION"), "us-east-1"), Secure: true}
		if s3.AccessKey == "" || s3.SecretKey == "" {
			return c, configError{"TIERLINK_S3_ACCESS_KEY", "and TIERLINK_S3_SECRET_KEY are required with TIERLINK_S3_ENDPOINT"}
		}
		if v := getenv("TIERLINK_S3_SECURE"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, configError{"TIERLINK_S3_SECURE", "must be true or false"}
			}
			s3.Secure = b
		}
		c.S3 = s3
	}
	c.UploadLimit = 512 << 20
	if v := getenv("TIERLINK_UPLOAD_LIMIT"); v != "" {
		n, err := parseBytes(v)
		if err != nil || n <= 0 {
			return c, configError{"TIERLINK_UPLOAD_LIMIT", "must be a size like 512MiB, 2GiB or a number of bytes"}
		}
		c.UploadLimit = n
	}
	c.PartnerQuota = 10 << 30
	if v := getenv("TIERLINK_PARTNER_QUOTA"); v != "" {
		n, err := parseBytes(v)
		if v == "0" {
			n, err = 0, nil
		}
		if err != nil || n < 0 {
			return c, configError{"TIERLINK_PARTNER_QUOTA", "must be a size like 10GiB, or 0 for no limit"}
		}
		c.PartnerQuota = n
	}
	c.LinkTTL = 5 * time.Minute
	if v := getenv("TIERLINK_DOWNLOAD_LINK_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > 7*24*time.Hour {
			return c, configError{"TIERLINK_DOWNLOAD_LINK_TTL", "must be a duration from 1s to 168h, like 5m"}
		}
		c.LinkTTL = d
	}
	c.DigestSchedule = or(getenv("TIERLINK_DIGEST_SCHEDULE"), groups.DefaultDigestSchedule)
	if _, err := schedule.Parse(c.DigestSchedule, c.TimeZone); err != nil {
		return c, configError{"TIERLINK_DIGEST_SCHEDULE", err.Error()}
	}
	if c.JobSchedules, err = jobs.ParseSchedules(getenv("TIERLINK_JOB_SCHEDULES"), c.TimeZone); err != nil {
		return c, configError{"TIERLINK_JOB_SCHEDULES", err.Error()}
	}
	// Names are checked here, before anything touches the database.
	if _, err := jobs.Standard(jobs.Services{}, c.JobSchedules); err != nil {
		return c, configError{"TIERLINK_JOB_SCHEDULES", err.Error()}
	}
	if c.ScoreWeights, err = scorecards.ParseWeights(getenv("TIERLINK_SCORE_WEIGHTS")); err != nil {
		return c, configError{"TIERLINK_SCORE_WEIGHTS", err.Error()}
	}
	c.StaleAfter = 48 * time.Hour
	if v := getenv("TIERLINK_STALE_SHIPMENT_AFTER"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Hour {
			return c, configError{"TIERLINK_STALE_SHIPMENT_AFTER", "must be a duration of at least 1h, like 48h"}
		}
		c.StaleAfter = d
	}
	if c.WeCom, err = loadWeCom(getenv); err != nil {
		return c, err
	}
	if c.Mail, err = loadMail(getenv); err != nil {
		return c, err
	}
	return c, nil
}

// loadWeCom reads the TIERLINK_WECOM_* variables. Errors name the
// variable, never its value.
func loadWeCom(getenv func(string) string) (wecom.Config, error) {
	w := wecom.Config{CorpID: strings.TrimSpace(getenv("TIERLINK_WECOM_CORP_ID")), AgentID: strings.TrimSpace(getenv("TIERLINK_WECOM_AGENT_ID")),
		AgentSecret: strings.TrimSpace(getenv("TIERLINK_WECOM_AGENT_SECRET")), ContactSecret: strings.TrimSpace(getenv("TIERLINK_WECOM_CONTACT_SECRET")),
		CallbackToken: strings.TrimSpace(getenv("TIERLINK_WECOM_CALLBACK_TOKEN")), CallbackAESKey: strings.TrimSpace(getenv("TIERLINK_WECOM_CALLBACK_AES_KEY")),
		APIBase: or(strings.TrimSpace(getenv("TIERLINK_WECOM_API_BASE")), wecom.DefaultAPIBase)}
	u, err := url.Parse(w.APIBase)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return w, configError{"TIERLINK_WECOM_API_BASE", "must be an absolute http(s) URL like https://qyapi.weixin.qq.com"}
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return w, configError{"TIERLINK_WECOM_API_BASE", "plain http is allowed only for a simulator on loopback"}
	}
	w.AuthorizeBase = or(strings.TrimSpace(getenv("TIERLINK_WECOM_AUTHORIZE_BASE")), wecom.DefaultAuthorizeBase)
	if a, err := url.Parse(w.AuthorizeBase); err != nil || (a.Scheme != "https" && (a.Scheme != "http" || !isLoopback(a.Hostname()))) || a.Host == "" || a.RawQuery != "" {
		return w, configError{"TIERLINK_WECOM_AUTHORIZE_BASE", "must be an https URL like https://open.weixin.qq.com (plain http only on loopback)"}
	}
	if w.CorpID == "" {
		for _, name := range []string{"TIERLINK_WECOM_AGENT_SECRET", "TIERLINK_WECOM_CONTACT_SECRET", "TIERLINK_WECOM_AGENT_ID"} {
			if getenv(name) != "" {
				return w, configError{name, "needs TIERLINK_WECOM_CORP_ID"}
			}
		}
	}
	if w.AgentID != "" {
		if _, err := strconv.Atoi(w.AgentID); err != nil {
			return w, configError{"TIERLINK_WECOM_AGENT_ID", "must be the app's numeric AgentId"}
		}
	}
	if k := w.CallbackAESKey; k != "" && len(k) != 43 {
		return w, configError{"TIERLINK_WECOM_CALLBACK_AES_KEY", "must be the 43-character EncodingAESKey"}
	}
	return w, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// parseBytes reads sizes like 512MiB, 1GiB, 10MB or 1048576.
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > (1<<62)/mult {
		return 0, fmt.Errorf("bad size")
	}
	return n * mult, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// loadMail reads the TIERLINK_SMTP_* and TIERLINK_MAIL_* variables.
// Errors name the variable, never its value (the URL may hold a
// password).
func loadMail(getenv func(string) string) (mail.Config, error) {
	m := mail.Config{URL: strings.TrimSpace(getenv("TIERLINK_SMTP_URL")), User: getenv("TIERLINK_SMTP_USER"),
		Password: getenv("TIERLINK_SMTP_PASSWORD"), From: strings.TrimSpace(getenv("TIERLINK_MAIL_FROM"))}
	if m.From != "" {
		if _, err := netmail.ParseAddress(m.From); err != nil {
			return m, configError{"TIERLINK_MAIL_FROM", "is not an address like Tierlink <noreply@example.com>"}
		}
	}
	if m.URL == "" {
		if m.User != "" || m.Password != "" {
			return m, configError{"TIERLINK_SMTP_URL", "is needed when TIERLINK_SMTP_USER or TIERLINK_SMTP_PASSWORD is set"}
		}
		return m, nil
	}
	if _, err := mail.ParseSMTPURL(m.URL, m.User, m.Password); err != nil {
		var ce *mail.ConfigError
		if errors.As(err, &ce) {
			return m, configError{ce.Var, ce.Reason}
		}
		return m, configError{"TIERLINK_SMTP_URL", "is not valid"}
	}
	if m.From == "" {
		return m, configError{"TIERLINK_MAIL_FROM", "needs a sender address when TIERLINK_SMTP_URL is set"}
	}
	return m, nil
}
