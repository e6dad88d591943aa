// Package portal is Tierlink's HTTP transport: the JSON API under /api/v1,
// the server-rendered pages, health and metrics endpoints, all on Fiber.
package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/tierlink/tierlink/ent/database"
	"github.com/tierlink/tierlink/jobs"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/mail"
	"github.com/tierlink/tierlink/partners/notify"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/scorecards"
	"github.com/tierlink/tierlink/partners/shipments"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/storage"
)

// Config is the transport's configuration.
type Config struct {
	// BaseURL is where users reach the portal; its scheme decides cookie
	// security and its host the accepted Origin.
	BaseURL *url.URL
	// TrustedProxies may set X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// BodyLimit caps JSON and form bodies, in bytes.
	BodyLimit int
	// QuietAccessLog drops the per-request log line (benchmarks).
	QuietAccessLog bool
	// Logger receives structured logs.
	Logger *slog.Logger
	// StreamHeartbeat is how often an idle live-feed stream sends a
	// keep-alive comment (15 s by default).
	StreamHeartbeat time.Duration
	// DisplayZone is the company's time zone: pages show times in it and
	// read the times typed into forms in it (UTC by default).
	DisplayZone *time.Location
	// CompanyName names the company running the portal, on the login
	// page, the header and to partners ("Tierlink" when empty).
	CompanyName string
	// Logo is the company's logo image, shown on the login page and in
	// the header and served at /branding/logo; nil shows the name alone.
	Logo []byte
	// LogoType is Logo's media type (image/svg+xml, image/png, …).
	LogoType string
}

// companyName is the name the portal shows for the company running it.
func (s *Server) companyName() string {
	if s.cfg.CompanyName != "" {
		return s.cfg.CompanyName
	}
	return "Tierlink"
}

// Deps are the domain services the transport calls.
type Deps struct {
	DB        *database.DB
	Directory *directory.Service
	Accounts  *accounts.Service
	Documents *documents.Service
	Orders    *orders.Service
	Shipments *shipments.Service
	Groups    *groups.Service
	// Jobs is the scheduler, for the job list, pause, resume and run now.
	Jobs *jobs.Scheduler
	// Scorecards ranks partners and shows each one's scorecard.
	Scorecards *scorecards.Service
	// WeCom is the WeCom contact sync and its inbox.
	WeCom *wecom.Service
	// WeComTransfers carries hand-overs out in WeCom; nil without WeCom.
	WeComTransfers *wecom.Transfers
	// Mail queues and sends e-mail; Mail.Configured() is false without
	// SMTP, and the pages then show links to copy.
	Mail *mail.Outbox
	// Notify sends notification mail and answers its one-click links.
	Notify *notify.Service
}

// Server is the portal's HTTP server.
type Server struct {
	app           *fiber.App
	cfg           Config
	deps          Deps
	log           *slog.Logger
	doc           *openAPIDoc
	docJSON       []byte
	metrics       *metrics
	pages         *pageSet
	cookieName    string
	secureCookies bool
	// now is the clock idempotency keys expire by; tests move it.
	now func() time.Time
	// zones caches the readers' time zones by IANA name.
	zones sync.Map
}

// New builds the server and registers every route.
func New(cfg Config, deps Deps) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = 1 << 20
	}
	if cfg.DisplayZone == nil {
		cfg.DisplayZone = time.UTC
	}
	if cfg.StreamHeartbeat == 0 {
		cfg.StreamHeartbeat = 15 * time.Second
	}
	s := &Server{cfg: cfg, deps: deps, log: cfg.Logger, doc: newOpenAPIDoc(), metrics: newMetrics(), now: time.Now}
	// __Host- cookies must be Secure; plain http is allowed only on a
	// loopback base URL, for local use and tests.
	s.secureCookies = cfg.BaseURL.Scheme == "https"
	s.cookieName = "tierlink_session"
	if s.secureCookies {
		s.cookieName = "__Host-tierlink_session"
	}
	var err error
	if s.pages, err = loadPages(cfg.DisplayZone); err != nil {
		return nil, err
	}
	s.app = fiber.New(fiber.Config{
		AppName:               "tierlink",
		BodyLimit:             cfg.BodyLimit,
		ErrorHandler:          s.errorHandler,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		ReadBufferSize:        16 << 10,
		JSONEncoder:           encodeJSON,
		JSONDecoder:           json.Unmarshal,
		// Uploads stream to storage instead of sitting in memory, and
		// multipart bodies are never spooled to temporary files;
		// limitBodies caps every other body.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
	})
	s.routes()
	s.docJSON, err = json.MarshalIndent(s.doc.document(cfg.BaseURL.String(), s.cookieName), "", "  ")
	return s, err
}

// App exposes the Fiber app, for tests that drive it with app.Test.
func (s *Server) App() *fiber.App { return s.app }

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown ends the live-feed streams (their clients reconnect to
// another instance), stops accepting, and waits for in-flight requests
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.deps.Groups.Hub().Close()
	return s.app.ShutdownWithContext(ctx)
}

func (s *Server) routes() {
	s.app.Use(s.requestContext)
	// A panic in a handler becomes a logged 500 for that request instead
	// of ending the process for everyone.
	s.app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		s.log.Error("panic", "request_id", requestID(c), "path", c.Path(), "panic", fmt.Sprint(e), "stack", string(debug.Stack()))
	}}))
	s.app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	s.app.Get("/readyz", s.ready)
	s.app.Get("/metrics", s.metrics.handler())
	s.app.Get("/api/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(s.docJSON)
	})
	s.registerAssets()

	s.app.Use(s.limitBodies)
	// WeCom calls its callback URL without a session; each request is
	// verified by its signature instead.
	s.registerWeComCallback()
	// Everything registered after this point knows who is calling.
	s.app.Use(s.authenticate)
	v1 := api{s: s, router: s.app.Group("/api/v1"), prefix: "/api/v1"}
	s.registerAuthRoutes(v1.group("/auth"))
	s.registerMeRoutes(v1.group("/me"))
	s.registerToDoRoutes(v1.group("/me/todo"))
	s.registerPartnerRoutes(v1.group("/partners"))
	s.registerContactRoutes(v1.group("/contacts"))
	s.registerTransferRoutes(v1.group("/transfers"))
	s.registerUserRoutes(v1.group("/users"))
	s.registerTokenRoutes(v1.group("/tokens"))
	s.registerInvitationRoutes(v1.group("/invitations"))
	s.registerAuditRoutes(v1.group("/audit"))
	s.registerDocumentRoutes(v1.group("/documents"))
	s.registerOrderRoutes(v1.group("/orders"))
	s.registerChangeRequestRoutes(v1.group("/change-requests"))
	s.registerEventRoutes(v1.group("/events"))
	s.registerShipmentRoutes(v1.group("/shipments"))
	s.registerBoardRoutes(v1.group("/status-board"))
	s.registerGroupRoutes(v1.group("/groups"))
	s.registerCardRoutes(v1.group("/cards"))
	s.registerBridgeRoutes(v1.group("/bridges"))
	s.registerDeliveryRoutes(v1.group("/deliveries"))
	s.registerJobRoutes(v1.group("/jobs"))
	s.registerScorecardRoutes(v1.group("/scorecards"))
	s.registerWeComRoutes(v1.group("/wecom"))
	s.registerMailRoutes(v1.group("/mail"))
	s.registerPasswordRoutes(v1.group("/password"))
	s.registerNotifyRoutes(v1.group("/me/notifications"))
	// Anything else under /api is a problem+json, never a page: 405
	// with Allow for a known path asked with another method, else 404.
	s.app.Use("/api", func(c *fiber.Ctx) error {
		if methods := s.doc.methodsAt(c.Path()); len(methods) > 0 {
			c.Set(fiber.HeaderAllow, strings.Join(methods, ", "))
			return fiber.NewError(fiber.StatusMethodNotAllowed, "this path does not take "+c.Method()+"; it takes "+strings.Join(methods, ", "))
		}
		return fiber.NewError(fiber.StatusNotFound, "no such API route")
	})

	s.registerPages()
}

func (s *Server) ready(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := s.deps.DB.Writer.PingContext(ctx); err != nil {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "database unavailable"})
	}
	if _, err := s.deps.Documents.Store().Stat(ctx, "readyz-probe"); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "storage unavailable"})
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

// jsonV1 is encoding/json's behaviour in every respect but one: a nil
// slice or map is written as [] or {}, never null, so that every list
// the document promises is a list (encoding/json v1 has no such option;
// the v2 experiment, by the Go team, has).
var jsonV1 = jsonv2.JoinOptions(jsonv1.DefaultOptionsV1(), jsonv2.FormatNilSliceAsNull(false), jsonv2.FormatNilMapAsNull(false))

// encodeJSON writes every JSON answer of the API.
func encodeJSON(v any) ([]byte, error) { return jsonv2.Marshal(v, jsonV1) }

func itoa(i int) string { return strconv.Itoa(i) }
