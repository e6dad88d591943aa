package portal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// The API contract: every API request a test in this package makes, and
// every answer it gets, is checked against the served OpenAPI document
// by kin-openapi (a validator not written here). An answer the document
// does not describe fails the test that caused it; so does a request the
// document refuses that the server accepts.

var (
	contractOnce sync.Once
	contractDoc  *contract
	contractErr  error
)

// contract is the loaded document with its path templates.
type contract struct {
	doc   *openapi3.T
	paths []contractPath
}

type contractPath struct {
	template string
	segs     []string
}

func init() {
	// Uploads carry the file's own type (application/pdf, image/png, …);
	// the document says */*, so any type decodes as opaque bytes, as do
	// downloads and the event stream.
	openapi3filter.RegisterBodyDecoder("*/*", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.FileBodyDecoder)
}

// loadContract parses and validates the document the server serves; it
// is the same for every server the tests build.
func loadContract(docJSON []byte) (*contract, error) {
	contractOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(docJSON)
		if err != nil {
			contractErr = fmt.Errorf("load OpenAPI document: %w", err)
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			contractErr = fmt.Errorf("the OpenAPI document is not valid: %w", err)
			return
		}
		c := &contract{doc: doc}
		for p := range doc.Paths.Map() {
			c.paths = append(c.paths, contractPath{template: p, segs: strings.Split(strings.Trim(p, "/"), "/")})
		}
		// Literal segments win over parameters (/scorecards/owners
		// before /scorecards/{id}), as in the router.
		sort.Slice(c.paths, func(i, j int) bool { return literalScore(c.paths[i].segs) > literalScore(c.paths[j].segs) })
		contractDoc = c
	})
	return contractDoc, contractErr
}

func literalScore(segs []string) int {
	n := 0
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") {
			n += 1 << (16 - i)
		}
	}
	return n
}

// match finds the template for a concrete path and its parameters.
func (c *contract) match(path string) (string, map[string]string, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, p := range c.paths {
		if len(p.segs) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for i, s := range p.segs {
			if strings.HasPrefix(s, "{") {
				if segs[i] == "" {
					ok = false
					break
				}
				params[strings.Trim(s, "{}")] = segs[i]
			} else if s != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return p.template, params, true
		}
	}
	return "", nil, false
}

// check validates one exchange; reqBody and respBody are the bytes sent
// and received (the request's and response's bodies are already read).
func (c *contract) check(t testing.TB, r *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	t.Helper()
	if !strings.HasPrefix(r.URL.Path, "/api/v1/") {
		return
	}
	template, params, ok := c.match(r.URL.Path)
	if !ok {
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("contract: %s %s names no documented path but answered %d", r.Method, r.URL.Path, resp.StatusCode)
		}
		return
	}
	item := c.doc.Paths.Value(template)
	operation := item.GetOperation(r.Method)
	if operation == nil {
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") == "" {
			t.Errorf("contract: %s %s: the document has no %s here, so the answer must be 405 with Allow; got %d Allow=%q",
				r.Method, r.URL.Path, r.Method, resp.StatusCode, resp.Header.Get("Allow"))
		}
		return
	}
	route := &routers.Route{Spec: c.doc, Path: template, PathItem: item, Method: r.Method, Operation: operation}
	req := r.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	if reqErr != nil && resp.StatusCode < 400 {
		t.Errorf("contract: %s %s: the server answered %d to a request the document refuses:\n%v\nbody: %.300s",
			r.Method, r.URL.RequestURI(), resp.StatusCode, reqErr, reqBody)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(respBody)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("contract: %s %s (%s %s) answered %d, which the document does not describe:\n%v\nbody: %.600s",
			r.Method, r.URL.RequestURI(), strings.ToUpper(r.Method), template, resp.StatusCode, err, respBody)
	}
}

// checkContract validates an exchange made by a test against the
// document of e's server.
func (e *env) checkContract(r *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	e.t.Helper()
	c, err := loadContract(e.srv.docJSON)
	if err != nil {
		e.t.Fatal(err)
	}
	c.check(e.t, r, reqBody, resp, respBody)
}

// The document itself is valid OpenAPI 3.1, and names each operation's
// purpose.
func TestOpenAPIDocumentValid(t *testing.T) {
	e := newEnv(t, "sqlite3")
	c, err := loadContract(e.srv.docJSON)
	if err != nil {
		t.Fatal(err)
	}
	for p, item := range c.doc.Paths.Map() {
		for m, o := range item.Operations() {
			if strings.TrimSpace(o.Description) == "" {
				t.Errorf("%s %s has no description", m, p)
			}
			if len(o.Responses.Map()) < 2 {
				t.Errorf("%s %s declares no error answers", m, p)
			}
		}
	}
}
