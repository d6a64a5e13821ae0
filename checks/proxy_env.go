package checks

import (
	"context"
	"net/url"
	"strings"
	"time"
)

func proxyEnvCheck() Check {
	return New("proxy-env", "no HTTPS proxy intercepts the Session Manager websocket", LayerLocal, nil, 5*time.Second, runProxyEnv)
}

// Only these affect a wss:// dial; HTTP_PROXY applies to plain http.
var proxyVars = []string{"HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"}

func runProxyEnv(ctx context.Context, env *Env) Result {
	region := env.Options.Region
	if region == "" {
		info, _ := env.Local.Creds(ctx)
		region = info.Region
	}
	if region == "" {
		region = "us-east-1"
	}
	host := "ssmmessages." + region + ".amazonaws.com"
	noProxy := env.Local.Getenv("NO_PROXY")
	if noProxy == "" {
		noProxy = env.Local.Getenv("no_proxy")
	}
	if noProxyCovers(noProxy, host) {
		return Pass("NO_PROXY covers %s", host)
	}
	for _, k := range proxyVars {
		v := env.Local.Getenv(k)
		if v == "" {
			continue
		}
		return Warn("%s=%s sends the websocket to %s through a proxy; TLS-inspecting proxies break it", k, redactProxy(v), host).
			WithDetails("the AWS CLI and plugin are known to hang after \"Starting session\" behind such proxies").
			WithFix(`export NO_PROXY="${NO_PROXY:+$NO_PROXY,}.amazonaws.com"`, "")
	}
	return Pass("no HTTPS proxy variables are set")
}

// noProxyCovers applies the usual NO_PROXY rules: "*", an exact host, or a
// domain suffix with or without a leading "." or "*.".
func noProxyCovers(list, host string) bool {
	for _, e := range strings.Split(list, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if e == "*" {
			return true
		}
		if h, _, ok := strings.Cut(e, ":"); ok {
			e = h
		}
		e = strings.TrimPrefix(strings.TrimPrefix(e, "*"), ".")
		if host == e || strings.HasSuffix(host, "."+e) {
			return true
		}
	}
	return false
}

// redactProxy shows scheme and host only: proxy URLs often embed a user and
// password, which must never reach output.
func redactProxy(v string) string {
	s := v
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "(unparsable value)"
	}
	out := u.Scheme + "://" + u.Host
	if u.User != nil {
		out += " (credentials hidden)"
	}
	return out
}
