// Command tierlink runs the Tierlink supplier and partner portal and its
// administrative tasks.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	_ "time/tzdata" // time zones on hosts and images without tzdata

	"github.com/tierlink/tierlink/ent/database"
	"github.com/tierlink/tierlink/ent/jobrun"
	_ "github.com/tierlink/tierlink/ent/runtime" // registers privacy policies and hooks
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/jobs"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/bridges"
	"github.com/tierlink/tierlink/partners/csvfile"
	"github.com/tierlink/tierlink/partners/demo"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/inbound"
	"github.com/tierlink/tierlink/partners/mail"
	"github.com/tierlink/tierlink/partners/notify"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/scorecards"
	"github.com/tierlink/tierlink/partners/shipments"
	"github.com/tierlink/tierlink/partners/status"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/portal"
	"github.com/tierlink/tierlink/storage"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	os.Exit(m.Run(ctx, os.Args[1:]))
}

// Main is the program, with its surroundings injectable so tests can run
// it whole on port 0 with a temporary data dir.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Ready, if set, is called with the listening address once serving.
	Ready func(addr string)
}

const usage = `usage: tierlink <command> [flags]

commands:
  serve [--demo]                          run the portal (migrates first)
  migrate                                 apply database migrations
  user create --email E --name N --role admin|buyer|viewer --password-stdin
  token create --email E --name N         print a new API token once
  import partners|contacts FILE.csv [--encoding utf-8|gb18030]   import a CSV (all rows or none)
  import orders FILE.csv --buyer E [--publish]   import orders from an ERP export
  export partners|contacts|orders [--out FILE] [--encoding utf-8|gb18030]   export a CSV
  documents sweep [--grace 1h]            remove stored objects no document references
  documents verify                        re-hash stored documents against their SHA-256
  jobs list                               scheduled jobs: schedule, next run, last outcome
  jobs run NAME                           run a job now, through the run ledger, and wait

Every command takes --data-dir and --database-url; see README.md for the
TIERLINK_* environment variables.`

// Run runs one command and returns the exit code: 0 ok, 1 failed, 2 bad
// usage or configuration.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(m.Stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = m.serve(ctx, args[1:])
	case "migrate":
		err = m.migrate(ctx, args[1:])
	case "user":
		err = m.sub(ctx, args[1:], "user", map[string]func(context.Context, []string) error{"create": m.userCreate})
	case "token":
		err = m.sub(ctx, args[1:], "token", map[string]func(context.Context, []string) error{"create": m.tokenCreate})
	case "import":
		err = m.importCSV(ctx, args[1:])
	case "export":
		err = m.exportCSV(ctx, args[1:])
	case "documents":
		err = m.sub(ctx, args[1:], "documents", map[string]func(context.Context, []string) error{"sweep": m.documentsSweep, "verify": m.documentsVerify})
	case "jobs":
		err = m.sub(ctx, args[1:], "jobs", map[string]func(context.Context, []string) error{"list": m.jobsList, "run": m.jobsRun})
	case "help", "-h", "--help":
		fmt.Fprintln(m.Stdout, usage)
		return 0
	default:
		err = usageError(fmt.Sprintf("unknown command %q", args[0]))
	}
	return m.exit(err)
}

type usageError string

func (e usageError) Error() string { return string(e) }

func (m *Main) exit(err error) int {
	var ce configError
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 2
	case errors.As(err, &ce), errors.As(err, &ue):
		fmt.Fprintln(m.Stderr, "tierlink: "+err.Error())
		return 2
	}
	oneLine := func(s string) string { return strings.ReplaceAll(s, "\n", " ") }
	msg := partners.ErrorMessage(err)
	fs := partners.ErrorFields(err)
	switch {
	case partners.ErrorCode(err) == partners.EInternal:
		msg = err.Error()
	case len(fs) == 1:
		msg += ": " + fs[0].Field + " " + fs[0].Reason
	case len(fs) > 1:
		// A refused import names every bad row, one per line.
		msg = oneLine(msg)
		for i, f := range fs {
			if i == maxListed {
				msg += fmt.Sprintf("\n  … and %d more", len(fs)-maxListed)
				break
			}
			msg += "\n  " + oneLine(f.Field+" "+f.Reason)
		}
		fmt.Fprintln(m.Stderr, "tierlink: "+msg)
		return 1
	}
	fmt.Fprintln(m.Stderr, "tierlink: "+oneLine(msg))
	return 1
}

// maxListed is how many problems of one error the command line prints.
const maxListed = 20

func (m *Main) sub(ctx context.Context, args []string, name string, cmds map[string]func(context.Context, []string) error) error {
	if len(args) == 0 || cmds[args[0]] == nil {
		verbs := make([]string, 0, len(cmds))
		for v := range cmds {
			verbs = append(verbs, v)
		}
		sort.Strings(verbs)
		return usageError(fmt.Sprintf("usage: tierlink %s %s …", name, strings.Join(verbs, "|")))
	}
	return cmds[args[0]](ctx, args[1:])
}

func (m *Main) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	return fs
}

// app is an opened database with the domain services on it.
type app struct {
	cfg   Config
	db    *database.DB
	dir   *directory.Service
	acc   *accounts.Service
	docs  *documents.Service
	ords  *orders.Service
	shps  *shipments.Service
	grps  *groups.Service
	cards *scorecards.Service
	jobs  *jobs.Scheduler
	wecom *wecom.Service
	// wecomXfer carries hand-overs out in WeCom; nil when not configured.
	wecomXfer *wecom.Transfers
	// wecomCards sends staff cards to WeCom; nil without the app's agent.
	wecomCards *wecom.Cards
	// mail queues and sends e-mail (rows wait while SMTP is not set).
	mail *mail.Outbox
	// notify turns posts into notification mail.
	notify *notify.Service
	// instance names this process in the run ledger, outbox leases and
	// relay messages.
	instance string
	log      *slog.Logger
	sysc     context.Context
}

// open reads the configuration (once, for the whole command), opens and
// migrates the database and builds the services on it.
func (m *Main) open(ctx context.Context, cf configFlags) (_ *app, err error) {
	cfg, err := loadConfig(cf, m.Getenv)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	db, err := database.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	// The one cleanup for every failure below: the database is the only
	// thing opened here that holds resources (the stores hold none).
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range applied {
		log.Info("migration applied", "version", v)
	}
	// Sort and search keys are computed in Go (pinyin, folded letters),
	// so a change of folding cannot be a SQL migration: rows whose keys
	// an older build wrote are refreshed here; a second run changes none.
	sys := viewer.NewContext(ctx, viewer.System("keys"))
	if n, err := partners.RefreshNameKeys(sys, db.Client); err != nil {
		return nil, err
	} else if n > 0 {
		log.Info("search keys refreshed", "rows", n)
	}
	// WeCom settings an admin stored on /admin/wecom fill what the
	// TIERLINK_WECOM_* variables leave empty; a variable always wins.
	envWeCom := cfg.WeCom
	if cfg.WeCom, err = wecom.WithStored(ctx, db.Client, cfg.WeCom); err != nil {
		return nil, err
	}
	dir := directory.New(db.Client)
	var store storage.Store
	if cfg.S3 != nil {
		store, err = storage.NewMinIO(ctx, *cfg.S3)
		if err != nil {
			return nil, err
		}
	} else if store, err = storage.NewLocal(filepath.Join(cfg.DataDir, "objects")); err != nil {
		return nil, err
	}
	docs := documents.New(db.Client, store, cfg.TimeZone, log)
	docs.MaxSize, docs.LinkTTL, docs.PartnerQuota, docs.Dialect = cfg.UploadLimit, cfg.LinkTTL, cfg.PartnerQuota, db.Dialect
	a := &app{cfg: cfg, db: db, dir: dir, acc: accounts.New(db.Client, dir), docs: docs, log: log,
		ords: orders.New(db.Client), shps: shipments.New(db.Client), sysc: viewer.NewContext(ctx, viewer.System("cli"))}
	// Groups install the hooks that turn domain events into posts, so
	// every command that changes orders or shipments needs them.
	a.grps = groups.New(db.Client, a.ords, a.shps, bridges.Guard{Allow: cfg.BridgeAllow}, cfg.BaseURL)
	if err := a.grps.SetDigestDefault(cfg.DigestSchedule, cfg.TimeZone); err != nil {
		return nil, configError{"TIERLINK_DIGEST_SCHEDULE", err.Error()}
	}
	st := status.New(db.Client, a.grps, a.ords, a.shps, cfg.TimeZone)
	st.StaleAfter = cfg.StaleAfter
	a.cards = scorecards.New(db.Client, db.Dialect, cfg.TimeZone)
	a.cards.Weights = cfg.ScoreWeights
	// The WeCom service always exists (its inbox and staff links work on
	// stored data); only a configured connection gets the sync job.
	wapi, err := wecom.NewClient(cfg.WeCom, db.Client, log)
	if err != nil {
		return nil, configError{"TIERLINK_WECOM_API_BASE", err.Error()}
	}
	a.wecom = wecom.NewService(db.Client, wapi, dir, log)
	a.wecom.SetEnv(envWeCom)
	var syncer *wecom.Service
	var behaviour *wecom.Behaviour
	if cfg.WeCom.Configured() {
		syncer = a.wecom
		log.Info("wecom connection configured", "wecom", cfg.WeCom)
		// Hand-overs are queued for WeCom in their own transaction.
		a.wecomXfer = wecom.NewTransfers(db.Client, wapi, log)
		dir.OnHandedOver(a.wecomXfer.Plan)
		behaviour = wecom.NewBehaviour(db.Client, wapi, log)
		behaviour.Groups = a.grps // the supervisors' digest of failed hand-overs
		// Cards are queued for WeCom in the transaction that posts them.
		if cfg.WeCom.AgentSecret != "" && cfg.WeCom.AgentID != "" {
			a.wecomCards = wecom.NewCards(db.Client, wapi, a.grps, cfg.BaseURL, log)
			a.wecomCards.Loc = cfg.TimeZone
		}
	}
	a.instance = instanceName()
	mcfg := cfg.Mail
	mcfg.Instance, mcfg.Logger = a.instance, log
	if a.mail, err = mail.New(ctx, db.Client, mcfg); err != nil {
		var ce *mail.ConfigError
		if errors.As(err, &ce) {
			return nil, configError{ce.Var, ce.Reason}
		}
		return nil, fmt.Errorf("mail: %w", err)
	}
	if cfg.BaseURL != nil {
		a.acc.UseMail(a.mail, cfg.BaseURL.String())
	}
	// Notifications are queued in the transaction of the post.
	a.notify = notify.New(db.Client, a.grps, a.mail, cfg.BaseURL)
	a.notify.Loc = cfg.TimeZone
	if cfg.Inbound.Addr != "" {
		a.notify.ReplyDomain = cfg.Inbound.Domain
	}
	js, err := jobs.Standard(jobs.Services{Client: db.Client, Directory: dir, Accounts: a.acc, Documents: docs, Status: st, Scorecards: a.cards, WeCom: syncer,
		WeComTransfers: a.wecomXfer, WeComBehaviour: behaviour, Notify: a.notify}, cfg.JobSchedules)
	if err != nil {
		return nil, configError{"TIERLINK_JOB_SCHEDULES", err.Error()}
	}
	a.jobs = jobs.New(db.Client, log, cfg.TimeZone, a.instance)
	for _, j := range js {
		if err := a.jobs.Add(j); err != nil {
			return nil, configError{"TIERLINK_JOB_SCHEDULES", err.Error()}
		}
	}
	return a, nil
}

// instanceName names this process in the run ledger and outbox leases.
func instanceName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), bridges.NewMessageID()[4:10])
}

func (m *Main) migrate(ctx context.Context, args []string) error {
	fs := m.flags("migrate")
	cf := addConfigFlags(fs, m.Getenv, false)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := m.open(ctx, cf)
	if err != nil {
		return err
	}
	defer a.db.Close()
	fmt.Fprintln(m.Stdout, "database is up to date")
	return nil
}

func (m *Main) serve(ctx context.Context, args []string) error {
	fs := m.flags("serve")
	cf := addConfigFlags(fs, m.Getenv, true)
	withDemo := fs.Bool("demo", false, "seed a demo company into an empty database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("serve takes no arguments")
	}
	a, err := m.open(ctx, cf)
	if err != nil {
		return err
	}
	defer func() {
		a.db.Close()
		a.log.Info("shutdown: database closed")
	}()
	ords, ships, grps := a.ords, a.shps, a.grps
	if *withDemo {
		logins, err := demo.Seed(ctx, demo.Services{Client: a.db.Client, Directory: a.dir, Accounts: a.acc, Documents: a.docs,
			Orders: ords, Shipments: ships, Groups: grps, Scorecards: a.cards})
		if err != nil {
			return err
		}
		if logins != nil {
			fmt.Fprintf(m.Stdout, "Demo company seeded. Every demo account's password is %q:\n", demo.Password)
			for _, l := range logins {
				fmt.Fprintf(m.Stdout, "  %-34s %-28s %s\n", l.Email, l.Role, l.Name)
			}
		} else {
			fmt.Fprintln(m.Stdout, "Data directory already holds data; demo seed skipped (demo password: "+demo.Password+").")
		}
	}
	srv, err := portal.New(portal.Config{BaseURL: a.cfg.BaseURL, TrustedProxies: a.cfg.TrustedProxies, Logger: a.log, DisplayZone: a.cfg.TimeZone,
		CompanyName: a.cfg.CompanyName, Logo: a.cfg.Logo, LogoType: a.cfg.LogoType},
		portal.Deps{DB: a.db, Directory: a.dir, Accounts: a.acc, Documents: a.docs, Orders: ords, Shipments: ships, Groups: grps,
			Jobs: a.jobs, Scorecards: a.cards, WeCom: a.wecom, WeComTransfers: a.wecomXfer, Mail: a.mail, Notify: a.notify})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return configError{"TIERLINK_ADDR", err.Error()}
	}
	var iln net.Listener // the reply mail listener's, bound before anything starts
	if a.cfg.Inbound.Addr != "" {
		if iln, err = net.Listen("tcp", a.cfg.Inbound.Addr); err != nil {
			ln.Close()
			return configError{"TIERLINK_MAIL_INBOUND_ADDR", err.Error()}
		}
	}
	sched := a.jobs
	sched.Start()
	// The outbox dispatcher wakes on every committed feed change and
	// polls besides, for retries and for other instances' writes.
	disp := bridges.NewDispatcher(a.db.Client, bridges.Guard{Allow: a.cfg.BridgeAllow}, a.log)
	grps.OnChange(func(int) { disp.Wake() })
	disp.Instance = a.instance
	dctx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDispatch()
	// On PostgreSQL, other instances hear of every committed feed change
	// (their streams and dispatchers wake) through LISTEN/NOTIFY.
	relay := database.NewRelay(a.db, a.instance, a.log)
	if relay.Enabled() {
		grps.SetRelay(relay.Publish)
		go relay.Run(dctx, grps.Remote, grps.Resync)
	}
	dispatched := make(chan struct{})
	go func() { defer close(dispatched); disp.Run(dctx) }()
	// The WeCom event worker applies stored callbacks (woken as each is
	// stored); stopped with the dispatcher.
	wecomDone := make(chan struct{})
	if a.cfg.WeCom.Configured() && a.cfg.WeCom.CallbackToken != "" {
		ew := wecom.NewEventWorker(a.wecom, a.log)
		ew.Instance = a.instance
		if a.wecomXfer != nil {
			ew.Handle(wecom.EventTransferFail, a.wecomXfer.FailHandler())
		}
		if a.wecomCards != nil {
			ew.Handle(wecom.EventTemplateCard, a.wecomCards.ClickHandler())
		}
		go func() { defer close(wecomDone); ew.Run(dctx) }()
	} else {
		close(wecomDone)
	}
	cardsDone := make(chan struct{})
	if a.wecomCards != nil {
		a.wecomCards.Instance = a.instance
		go func() { defer close(cardsDone); a.wecomCards.RunDispatcher(dctx) }()
	} else {
		close(cardsDone)
	}
	// The mail dispatcher (slice M1) and the inbound mail listener
	// (slice M4) start here and stop after the jobs, as the outbox does.
	mailDone := make(chan struct{})
	go func() { defer close(mailDone); a.mail.Run(dctx) }()
	// Replies by e-mail (slice M4): an SMTP listener, off without
	// TIERLINK_MAIL_INBOUND_ADDR; stopped right after HTTP.
	var replies *inbound.Server
	repliesDone := make(chan error, 1)
	if ic := a.cfg.Inbound; iln != nil {
		replies = inbound.New(ic, a.db.Client, a.mail.Keys(), grps, a.docs, a.log)
		go func() { repliesDone <- replies.Serve(iln) }()
		a.log.Info("reply mail listener", "addr", iln.Addr().String(), "domain", ic.Domain, "max_bytes", ic.MaxBytes)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	addr := ln.Addr().String()
	a.log.Info("tierlink serving", "addr", addr, "base_url", a.cfg.BaseURL.String(), "database", a.cfg.DB.Dialect, "storage", a.docs.Store().Name())
	fmt.Fprintf(m.Stdout, "Tierlink is running at %s\n", a.cfg.BaseURL.String())
	if m.Ready != nil {
		m.Ready(addr)
	}
	select {
	case <-ctx.Done():
	case err := <-served:
		if err != nil {
			return err
		}
	}
	// Order matters: stop taking requests and let in-flight ones finish,
	// then stop jobs, then close the database (deferred).
	a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	herr := srv.Shutdown(sctx)
	a.log.Info("shutdown: requests drained", "err", herr)
	if replies != nil {
		// A reply being posted finishes; new mail waits for another
		// instance or a retry by the sending server.
		herr = errors.Join(herr, replies.Shutdown(sctx))
		a.log.Info("shutdown: reply mail listener stopped", "err", <-repliesDone)
	}
	jerr := sched.Stop(sctx)
	a.log.Info("shutdown: jobs stopped", "err", jerr)
	// A send cut off here is sent again after restart, with the same
	// webhook-id.
	stopDispatch()
	select {
	case <-dispatched:
	case <-sctx.Done():
	}
	select {
	case <-wecomDone:
	case <-sctx.Done():
	}
	select {
	case <-cardsDone:
	case <-sctx.Done():
	}
	select {
	case <-mailDone:
	case <-sctx.Done():
	}
	a.log.Info("shutdown: outbox dispatcher stopped")
	return errors.Join(herr, jerr)
}

func (m *Main) userCreate(ctx context.Context, args []string) error {
	fs := m.flags("user create")
	cf := addConfigFlags(fs, m.Getenv, false)
	email := fs.String("email", "", "e-mail (login name)")
	name := fs.String("name", "", "display name (default: the e-mail)")
	role := fs.String("role", "", "admin, buyer or viewer")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" || *role == "" {
		return usageError("user create needs --email and --role")
	}
	if *name == "" {
		*name = *email
	}
	pw := ""
	if *pwStdin {
		line, err := bufio.NewReader(m.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		pw = strings.TrimRight(line, "\r\n")
		if pw == "" {
			return usageError("--password-stdin: standard input was empty")
		}
	}
	a, err := m.open(ctx, cf)
	if err != nil {
		return err
	}
	defer a.db.Close()
	u, err := a.acc.CreateUser(a.sysc, accounts.UserInput{Email: *email, Name: *name, Role: user.Role(*role), Password: pw})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "created %s user %s (id %d)\n", u.Role, u.Email, u.ID)
	return nil
}

func (m *Main) tokenCreate(ctx context.Context, args []string) error {
	fs := m.flags("token create")
	cf := addConfigFlags(fs, m.Getenv, false)
	email := fs.String("email", "", "user the token acts as")
	name := fs.String("name", "", "what the token is for, like erp-sync")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" || *name == "" {
		return usageError("token create needs --email and --name")
	}
	a, err := m.open(ctx, cf)
	if err != nil {
		return err
	}
	defer a.db.Close()
	v, err := a.acc.ViewerFor(a.sysc, *email)
	if err != nil {
		return err
	}
	t, err := a.acc.CreateToken(viewer.NewContext(ctx, v), accounts.TokenInput{Name: *name})
	if err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, t.Secret)
	return nil
}

func (m *Main) importCSV(ctx context.Context, args []string) error {
	fs := m.flags("import")
	cf := addConfigFlags(fs, m.Getenv, false)
	quiet := fs.Bool("quiet", false, "no progress bar")
	if len(args) == 0 || (args[0] != "partners" && args[0] != "contacts" && args[0] != "orders") {
		return usageError("usage: tierlink import partners|contacts|orders FILE.csv")
	}
	kind := args[0]
	buyer := fs.String("buyer", "", "orders: the buyer (staff e-mail) the orders belong to")
	encName := fs.String("encoding", "", "utf-8 or gb18030 (GBK); detected when left out")
	publish := fs.Bool("publish", false, "orders: publish to the partners at once")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("usage: tierlink import " + kind + " FILE.csv")
	}
	enc, err := csvfile.ParseEncoding(*encName)
	if err != nil {
		return usageError("--encoding: " + err.Error())
	}
	file, err := os.Open(fs.Arg(0))
	if err != nil {
		return usageError(err.Error())
	}
	defer file.Close()
	f := csvfile.Named(file, enc)
	a, err := m.open(ctx, cf)
	if err != nil {
		return err
	}
	defer a.db.Close()
	progress := func(done, total int) {
		if *quiet || total == 0 {
			return
		}
		const width = 30
		n := done * width / total
		fmt.Fprintf(m.Stderr, "\r[%s%s] %d/%d", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total)
		if done == total {
			fmt.Fprintln(m.Stderr)
		}
	}
	if kind == "orders" {
		if *buyer == "" {
			return usageError("import orders needs --buyer EMAIL: the buyer the orders belong to")
		}
		v, err := a.acc.ViewerFor(a.sysc, *buyer)
		if err != nil {
			return err
		}
		res, err := a.ords.ImportCSV(viewer.NewContext(ctx, v), f, *publish)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "imported orders: %d orders with %d lines, %d unchanged (read as %s, %s)\n",
			res.Orders, res.Lines, res.Unchanged, res.Encoding, res.EncodingHow)
		return nil
	}
	var res directory.ImportResult
	if kind == "partners" {
		res, err = a.dir.ImportPartners(a.sysc, f, progress)
	} else {
		res, err = a.dir.ImportContacts(a.sysc, f, progress)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "imported %s: %d created, %d updated, %d unchanged (read as %s, %s)\n",
		kind, res.Created, res.Updated, res.Unchanged, res.Encoding, res.EncodingHow)
	return nil
}

func (m *Main) exportCSV(ctx context.Context, args []string) error {
	fs := m.flags("export")
	cf := addConfigFlags(fs, m.Getenv, false)
	out := fs.String("out", "", "file to write (default standard output)")
	encName := fs.String("encoding", "utf-8", "utf-8 (with a byte-order mark, for Excel) or gb18030 (for older tools)")
	if len(args) == 0 || (args[0] != "partners" && args[0] != "contacts" && args[0] != "orders") {
		return usageError("usage: tierlink export partners|contacts|orders [--out FILE] [--encoding utf-8|gb18030]")
	}
	kind := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	enc, err := csvfile.ParseEncoding(*encName)
	if err != nil {
		return usageError("--encoding: " + err.Error())
	}
	a, err := m.open(ctx, cf)
	if err != nil {
		return err
	}
	defer a.db.Close()
	if *out == "" {
		return exportTo(ctx, a, kind, m.Stdout, enc)
	}
	// Write beside the target and rename, so an interrupted export never
	// leaves a half-written file under the requested name.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".tierlink-export-*")
	if err != nil {
		return usageError(err.Error())
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename; best effort otherwise
	bw := bufio.NewWriter(tmp)
	if err := exportTo(ctx, a, kind, bw, enc); err != nil {
		tmp.Close()
		return err
	}
	if err := errors.Join(bw.Flush(), tmp.Sync(), tmp.Close()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), *out)
}

func exportTo(_ context.Context, a *app, kind string, w io.Writer, enc csvfile.Encoding) error {
	var err error
	switch kind {
	case "partners":
		_, err = a.dir.ExportPartners(a.sysc, w, enc)
	case "contacts":
		_, err = a.dir.ExportContacts(a.sysc, w, enc)
	default:
		_, err = a.ords.ExportCSV(a.sysc, w, enc)
	}
	return err
}

func (m *Main) documentsSweep(ctx context.Context, args []string) error {
	fs := m.flags("documents sweep")
	cf := addConfigFlags(fs, m.Getenv, false)
	grace := fs.Duration("grace", time.Hour, "leave objects younger than this (uploads may still be committing)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *grace < time.Minute {
		return usageError("--grace must be at least 1m, or in-flight uploads could lose their objects")
	}
	a, err := m.open(ctx, cf)
	if err != nil {
		return err
	}
	defer a.db.Close()
	n, err := a.docs.Sweep(a.sysc, *grace)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "removed %d orphan object(s)\n", n)
	return nil
}

func (m *Main) documentsVerify(ctx context.Context, args []string) error {
	fs := m.flags("documents verify")
	cf := addConfigFlags(fs, m.Getenv, false)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := m.open(ctx, cf)
	if err != nil {
		return err
	}
	defer a.db.Close()
	checked, problems, err := a.docs.Verify(a.sysc)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintf(m.Stdout, "document %d v%d (%s): %s\n", p.DocumentID, p.Version, p.Key, p.Reason)
	}
	fmt.Fprintf(m.Stdout, "checked %d version(s), %d problem(s)\n", checked, len(problems))
	if len(problems) > 0 {
		return errVerifyFailed
	}
	return nil
}

// errVerifyFailed makes verify exit 1 after printing its findings.
var errVerifyFailed = errors.New("verification found problems")

func (m *Main) jobsList(ctx context.Context, args []string) error {
	fs := m.flags("jobs list")
	cf := addConfigFlags(fs, m.Getenv, false)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("jobs list takes no arguments")
	}
	a, err := m.open(ctx, cf)
	if err != nil {
		return err
	}
	defer a.db.Close()
	l, err := a.jobs.List(a.sysc)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tSCHEDULE\tMISSED TICKS\tSTATE\tNEXT RUN\tLAST RUN\tOUTCOME\tITEMS")
	for _, j := range l.Items {
		state, next, last, outcome, items := "active", "-", "-", "-", "-"
		if j.Paused {
			state = "paused"
		}
		if j.Next != nil {
			next = j.Next.Format("2006-01-02 15:04:05 MST")
		}
		if r := j.Last; r != nil {
			last, outcome, items = r.StartedAt.In(a.cfg.TimeZone).Format("2006-01-02 15:04:05"), r.Outcome.String(), strconv.Itoa(r.Items)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.Name, j.Spec, strings.ReplaceAll(j.Missed, "_", "-"), state, next, last, outcome, items)
	}
	return tw.Flush()
}

func (m *Main) jobsRun(ctx context.Context, args []string) error {
	fs := m.flags("jobs run")
	cf := addConfigFlags(fs, m.Getenv, false)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("usage: tierlink jobs run NAME (see tierlink jobs list)")
	}
	a, err := m.open(ctx, cf)
	if err != nil {
		return err
	}
	defer a.db.Close()
	name := fs.Arg(0)
	if !a.jobs.Has(name) {
		return usageError(fmt.Sprintf("no job is named %q (see tierlink jobs list)", name))
	}
	r, err := a.jobs.RunNow(a.sysc, name, true)
	if err != nil {
		return err
	}
	if r.Outcome != jobrun.OutcomeOk {
		return fmt.Errorf("job %s failed: %s", name, r.Error)
	}
	fmt.Fprintf(m.Stdout, "%s: ok, %d item(s)\n", name, r.Items)
	if r.Report != "" {
		fmt.Fprintln(m.Stdout, r.Report)
	}
	return nil
}
