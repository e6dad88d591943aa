package portal

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/wecom/callback"
)

// The WeCom callback URL. WeCom calls it with no session, so it is
// registered before authentication and every request proves itself
// instead: msg_signature over the encrypted text, a timestamp within the
// window, and a receiveid equal to our corp id inside the ciphertext.
// A request that fails any check, or cannot be read, is answered with an
// error status and changes nothing. A verified event is stored in one
// insert (a resend is a no-op) and answered at once; the event worker
// applies it afterwards, so WeCom's five seconds are never at risk.

// callbackBodyLimit caps a callback body: WeCom's are a few hundred
// bytes.
const callbackBodyLimit = 64 << 10

// callbackRoutes are the callback routes, declared once: registration
// and the tests read the same list.
func (h *weComCallback) routes() []callbackRoute {
	return []callbackRoute{
		{Method: fiber.MethodGet, Path: "/wecom/callback", Handler: h.verify},
		{Method: fiber.MethodPost, Path: "/wecom/callback", Handler: h.receive},
	}
}

// callbackRoute is a route a chat platform calls; it has no access rule
// because it carries no session: the handler verifies the request.
type callbackRoute struct {
	Method, Path string
	Handler      fiber.Handler
}

type weComCallback struct {
	s      *Server
	crypto *callback.Crypto
}

// registerWeComCallback registers the callback routes. Without a
// configured callback token and key they answer 404.
func (s *Server) registerWeComCallback() {
	h := &weComCallback{s: s}
	if s.deps.WeCom != nil {
		c, err := s.deps.WeCom.CallbackCrypto()
		if err != nil {
			s.log.Error("wecom callback: configuration refused; callbacks are off", "err", err)
		}
		h.crypto = c
	}
	for _, r := range h.routes() {
		s.app.Add(r.Method, r.Path, r.Handler)
	}
}

func params(c *fiber.Ctx) callback.Params {
	// Copies: fasthttp reuses the buffers the query strings point into.
	cp := func(k string) string { return string([]byte(c.Query(k))) }
	return callback.Params{Signature: cp("msg_signature"), Timestamp: cp("timestamp"), Nonce: cp("nonce"), EchoStr: cp("echostr")}
}

// verify answers WeCom's URL verification with the decrypted echostr.
func (h *weComCallback) verify(c *fiber.Ctx) error {
	if ok, err := h.admit(c); !ok {
		return err
	}
	msg, err := h.crypto.VerifyURL(params(c))
	if err != nil {
		return h.refuse(c, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.Send(msg)
}

// receive verifies, decrypts and stores one event, and answers
// "success".
func (h *weComCallback) receive(c *fiber.Ctx) error {
	if ok, err := h.admit(c); !ok {
		return err
	}
	if c.Request().Header.ContentLength() > callbackBodyLimit || len(c.Body()) > callbackBodyLimit {
		h.failed(c)
		return h.answer(c, fiber.StatusRequestEntityTooLarge, "body too large")
	}
	ev, err := h.crypto.Receive(params(c), c.Body())
	if err != nil {
		return h.refuse(c, err)
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 4*time.Second)
	defer cancel()
	fresh, err := h.s.deps.WeCom.StoreEvent(ctx, ev)
	if err != nil {
		// WeCom resends; nothing was stored.
		h.s.log.Error("wecom callback: storing the event failed", "request_id", requestID(c), "err", err)
		return h.answer(c, fiber.StatusInternalServerError, "internal error")
	}
	h.s.log.Info("wecom callback stored", "request_id", requestID(c), "type", ev.Type(), "identity", ev.Identity(), "duplicate", !fresh)
	return h.answer(c, fiber.StatusOK, "success")
}

// admit turns requests away before any work: callbacks not configured,
// or a caller whose recent requests failed too often.
func (h *weComCallback) admit(c *fiber.Ctx) (bool, error) {
	if h.crypto == nil {
		return false, h.answer(c, fiber.StatusNotFound, "WeCom callbacks are not configured")
	}
	refused, err := h.throttled(c)
	if err != nil {
		h.s.log.Error("wecom callback: reading the throttle failed", "request_id", requestID(c), "err", err)
		return false, h.answer(c, fiber.StatusInternalServerError, "internal error")
	}
	if refused {
		c.Set(fiber.HeaderRetryAfter, "60")
		return false, h.answer(c, fiber.StatusTooManyRequests, "too many failed callbacks")
	}
	return true, nil
}

// refuse answers a request that failed verification: 400 when it
// cannot be read, 401 for a bad signature or a timestamp outside the
// window, 403 for a ciphertext addressed to another corp.
func (h *weComCallback) refuse(c *fiber.Ctx, err error) error {
	h.failed(c)
	status := fiber.StatusBadRequest
	switch callback.KindOf(err) {
	case callback.KindSignature, callback.KindStale:
		status = fiber.StatusUnauthorized
	case callback.KindReceiver:
		status = fiber.StatusForbidden
	}
	h.s.log.Warn("wecom callback refused", "request_id", requestID(c), "ip", h.s.clientIP(c), "status", status, "err", err)
	return h.answer(c, status, callback.KindOf(err).String())
}

func (h *weComCallback) answer(c *fiber.Ctx, status int, text string) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.Status(status).SendString(text)
}

// callbackFailures bounds the requests of one address that fail
// verification: at 60 within a minute the address is turned away for a
// minute. They are counted in the database, in the throttle table the
// login uses, so every instance behind the load balancer shares the
// count: a flood of forgeries spread over instances is refused as
// surely as one aimed at one. WeCom's own requests do not fail, so its
// bursts are never slowed, and a refused address costs one indexed read
// before any decryption.
var callbackFailures = accounts.FailureLimit{Max: 60, Window: time.Minute, Lock: time.Minute}

// callbackThrottleKey is an address's key in the shared throttle table.
func callbackThrottleKey(ip string) string { return "wecom-callback:" + ip }

// throttled says whether the caller's address is turned away.
func (h *weComCallback) throttled(c *fiber.Ctx) (bool, error) {
	return h.s.deps.Accounts.Throttled(c.UserContext(), callbackThrottleKey(h.s.clientIP(c)))
}

// failed counts one failed request of the caller's address. Counting is
// best effort: a database hiccup must not turn a refusal into a 500.
func (h *weComCallback) failed(c *fiber.Ctx) {
	if err := h.s.deps.Accounts.CountFailure(c.UserContext(), callbackThrottleKey(h.s.clientIP(c)), callbackFailures); err != nil {
		h.s.log.Error("wecom callback: counting a failure failed", "request_id", requestID(c), "err", err)
	}
}
