package awssim

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRoutesTable: every route has a service, an operation and a handler,
// no service/operation pair is listed twice, each service's routes sit
// together, and the simulator answers exactly the table's operations.
func TestRoutesTable(t *testing.T) {
	s, err := New(iamFixture(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	seen := map[string]bool{}
	done := map[string]bool{} // services whose group has ended
	prev := ""
	for i, r := range s.routes() {
		key := r.service + "." + r.op
		if r.service == "" || r.op == "" || r.h == nil {
			t.Errorf("route %d (%q): service, operation and handler are all required", i, key)
		}
		if seen[key] {
			t.Errorf("route %d: %s is listed twice", i, key)
		}
		seen[key] = true
		if r.service != prev {
			if done[r.service] {
				t.Errorf("route %d: %s is apart from the other %s routes", i, key, r.service)
			}
			done[prev] = true
			prev = r.service
		}
		keys = append(keys, key)
	}
	slices.Sort(keys)
	if got := s.Operations(); !slices.Equal(got, keys) {
		t.Errorf("Operations() differs from the route table\n got: %v\nwant: %v", got, keys)
	}
}

// TestRoutesDispatch: a call to any operation the simulator lists reaches
// its handler (the unsigned call is then refused by authentication, which
// runs after the lookup), and a call to one it does not list gets the
// service's own unknown-operation error.
func TestRoutesDispatch(t *testing.T) {
	s, err := New(iamFixture(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	jsonPrefix := map[string]string{}
	for prefix, svc := range jsonTargets {
		jsonPrefix[svc] = prefix
	}
	call := func(service, op string) (status int, code, message string) {
		t.Helper()
		var req *http.Request
		if prefix, ok := jsonPrefix[service]; ok {
			req = httptest.NewRequest("POST", "/", strings.NewReader("{}"))
			req.Header.Set("X-Amz-Target", prefix+"."+op)
		} else {
			req = httptest.NewRequest("POST", "/", strings.NewReader("Action="+op+"&Version=2010-05-08"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIANOSUCHKEY00000000/20260105/us-east-1/"+service+
			"/aws4_request, SignedHeaders=host, Signature=00")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		body := rec.Body.String()
		if protocolOf(service) == ProtoJSON {
			var e struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("%s.%s: error body %q: %v", service, op, body, err)
			}
			return rec.Code, e.Type, e.Message
		}
		between := func(open, close string) string {
			_, after, _ := strings.Cut(body, open)
			v, _, _ := strings.Cut(after, close)
			return v
		}
		return rec.Code, between("<Code>", "</Code>"), between("<Message>", "</Message>")
	}

	unknownCode := map[string]string{"ec2": "InvalidAction", "iam": "InvalidAction", "sts": "InvalidAction",
		"ssm": "UnknownOperationException", "kms": "UnknownOperationException", "ec2-instance-connect": "UnknownOperationException"}
	services := map[string]bool{}
	for _, key := range s.Operations() {
		service, op, _ := strings.Cut(key, ".")
		services[service] = true
		if _, ok := unknownCode[service]; !ok {
			t.Errorf("%s: a service this test does not know", key)
			continue
		}
		if status, code, msg := call(service, op); code == unknownCode[service] || status < 400 {
			t.Errorf("%s: got %d %s %q, want the handler reached and the unsigned call refused", key, status, code, msg)
		}
	}
	if len(services) != len(unknownCode) {
		t.Errorf("services with operations: %v, want the six of %v", services, unknownCode)
	}

	want := map[string]string{
		"ec2":                  "The action NoSuchOperation is not valid for this web service.",
		"iam":                  "Could not find operation NoSuchOperation for version 2010-05-08",
		"sts":                  "Could not find operation NoSuchOperation for version 2010-05-08",
		"ssm":                  "",
		"kms":                  "",
		"ec2-instance-connect": "",
	}
	for service, wantMsg := range want {
		status, code, msg := call(service, "NoSuchOperation")
		if status != 400 || code != unknownCode[service] || msg != wantMsg {
			t.Errorf("%s.NoSuchOperation: got %d %s %q, want 400 %s %q", service, status, code, msg, unknownCode[service], wantMsg)
		}
	}
}

// TestNoHiddenRegistration: nothing in the simulator's source (tests
// included) runs at package initialisation: no func init and no
// package-level variable set by calling a function literal, the
// `var _ = func() bool { ... }()` pattern that once registered routes from
// 21 files. Routes go in routes.go's table.
func TestNoHiddenRegistration(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		for _, decl := range f.Decls {
			switch decl := decl.(type) {
			case *ast.FuncDecl:
				if decl.Recv == nil && decl.Name.Name == "init" {
					t.Errorf("%s: func init; add routes to routes.go's table, state to New", fset.Position(decl.Pos()))
				}
			case *ast.GenDecl:
				for _, spec := range decl.Specs {
					vs, ok := spec.(*ast.ValueSpec)
					if !ok {
						continue
					}
					for _, v := range vs.Values {
						if c, ok := ast.Unparen(v).(*ast.CallExpr); ok {
							if _, ok := ast.Unparen(c.Fun).(*ast.FuncLit); ok {
								t.Errorf("%s: a package-level variable initialised by calling a function literal; add routes to routes.go's table, state to New",
									fset.Position(v.Pos()))
							}
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("scanned only %d Go files; is the test running in the package directory?", files)
	}
}
