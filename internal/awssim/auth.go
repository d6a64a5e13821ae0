package awssim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Principal is the caller behind an access key.
type Principal struct {
	AccountID   string
	ARN         string // caller ARN as STS reports it
	UserID      string // AIDA... for users, AROA...:session for roles
	Kind        string // "user", "assumed-role", "root"
	UserName    string
	RoleName    string
	SessionName string
	AccessKeyID string
}

// IAMArn is the ARN whose policies apply: the user, or the role behind an
// assumed-role session.
func (p *Principal) IAMArn() string {
	switch p.Kind {
	case "assumed-role":
		return "arn:aws:iam::" + p.AccountID + ":role/" + p.RoleName
	default:
		return p.ARN
	}
}

type authHeader struct {
	keyID, date, region, service string
	signedHeaders                []string
	signature                    string
}

// parseAuthorization reads a SigV4 Authorization header:
// AWS4-HMAC-SHA256 Credential=AKID/20261129/us-east-1/ec2/aws4_request, SignedHeaders=a;b, Signature=hex
func parseAuthorization(h string) authHeader {
	var a authHeader
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return a
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) == 5 {
				a.keyID, a.date, a.region, a.service = f[0], f[1], f[2], f[3]
			}
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	return a
}

// authenticate maps the request's access key to a principal and verifies
// the SigV4 signature with the key's secret.
func (s *Sim) authenticate(r *http.Request, a authHeader, body []byte, service string) (*Principal, *APIError) {
	if a.keyID == "" {
		return nil, missingAuth(service)
	}
	s.mu.Lock()
	key, ok := s.state.AccessKeys[a.keyID]
	var p *Principal
	var secret, token string
	var expired bool
	if ok {
		k := *key
		secret, token = k.Secret, k.SessionToken
		expired = !k.Expiration.IsZero() && !s.now().Before(k.Expiration)
		p = s.principalForKeyLocked(&k)
		if k.Status == "Inactive" {
			ok = false
		}
	}
	s.mu.Unlock()
	if !ok || p == nil {
		return nil, invalidToken(service)
	}
	if token != "" && r.Header.Get("X-Amz-Security-Token") != token {
		return nil, invalidToken(service)
	}
	if expired {
		return nil, expiredToken(service)
	}
	if !verifySignature(r, a, body, secret, token) {
		return nil, signatureMismatch(service)
	}
	return p, nil
}

// principalForKeyLocked builds the principal of a key; nil when the user or
// role it names does not exist.
func (s *Sim) principalForKeyLocked(k *AccessKey) *Principal {
	acct := s.state.AccountID
	p := &Principal{AccountID: acct, AccessKeyID: k.ID}
	switch {
	case k.Root:
		p.Kind = "root"
		p.ARN = "arn:aws:iam::" + acct + ":root"
		p.UserID = acct
	case k.RoleName != "":
		role, ok := s.state.Roles[k.RoleName]
		if !ok {
			return nil
		}
		p.Kind = "assumed-role"
		p.RoleName = k.RoleName
		p.SessionName = k.SessionName
		p.ARN = "arn:aws:sts::" + acct + ":assumed-role/" + k.RoleName + "/" + k.SessionName
		p.UserID = role.ID + ":" + k.SessionName
	default:
		u, ok := s.state.Users[k.UserName]
		if !ok {
			return nil
		}
		p.Kind = "user"
		p.UserName = u.Name
		path := u.Path
		if path == "" {
			path = "/"
		}
		p.ARN = "arn:aws:iam::" + acct + ":user" + path + u.Name
		p.UserID = u.ID
	}
	return p
}

func verifySignature(r *http.Request, a authHeader, body []byte, secret, token string) bool {
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return false
	}
	clone, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return false
	}
	clone.Host = r.Host
	clone.ContentLength = 0
	for _, h := range a.signedHeaders {
		switch h {
		case "host":
		case "content-length":
			clone.ContentLength = r.ContentLength
			clone.Header.Set("Content-Length", r.Header.Get("Content-Length"))
		default:
			for _, v := range r.Header.Values(h) {
				clone.Header.Add(h, v)
			}
		}
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if payloadHash == "" {
		sum := sha256.Sum256(body)
		payloadHash = hex.EncodeToString(sum[:])
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = false })
	creds := aws.Credentials{AccessKeyID: a.keyID, SecretAccessKey: secret, SessionToken: token}
	if err := signer.SignHTTP(context.Background(), creds, clone, payloadHash, a.service, a.region, t); err != nil {
		return false
	}
	got := parseAuthorization(clone.Header.Get("Authorization"))
	return got.signature == a.signature
}

func missingAuth(service string) *APIError {
	switch service {
	case "ec2":
		return ErrStatus(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
	case "iam", "sts":
		return ErrStatus(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
	default:
		return ErrStatus(400, "MissingAuthenticationTokenException", "Request is missing Authentication Token")
	}
}

func invalidToken(service string) *APIError {
	switch service {
	case "ec2":
		return ErrStatus(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
	case "iam", "sts":
		return ErrStatus(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	default:
		return ErrStatus(400, "UnrecognizedClientException", "The security token included in the request is invalid.")
	}
}

func expiredToken(service string) *APIError {
	switch service {
	case "ec2":
		return ErrStatus(400, "RequestExpired", "Request has expired.")
	case "iam", "sts":
		return ErrStatus(403, "ExpiredToken", "The security token included in the request is expired")
	default:
		return ErrStatus(400, "ExpiredTokenException", "The security token included in the request is expired")
	}
}

func signatureMismatch(service string) *APIError {
	msg := "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	switch service {
	case "ec2":
		return ErrStatus(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
	case "iam", "sts":
		return ErrStatus(403, "SignatureDoesNotMatch", "%s", msg)
	default:
		return ErrStatus(400, "InvalidSignatureException", "%s", msg)
	}
}
