package checks

import (
	"context"
	"strings"
	"time"
)

func localEndpointsCheck() Check {
	return New("local-endpoints", "this workstation reaches ssm and ssmmessages (DNS, TLS, the proxy in use)", LayerLocal,
		nil, 30*time.Second, runLocalEndpoints)
}

func runLocalEndpoints(ctx context.Context, env *Env) Result {
	region := localRegion(ctx, env)
	ssmURL, custom := awsEndpoint(env, "SSM", "ssm", region)
	urls := []string{ssmURL}
	var notes []string
	stream := env.Options.StreamEndpoint
	if stream == "" {
		stream = env.Local.Getenv("SSMDOCTOR_STREAM_ENDPOINT")
	}
	switch {
	case stream != "":
		urls = append(urls, stream)
	case custom:
		notes = append(notes, "ssmmessages not probed: with a custom SSM endpoint the data channel goes where StartSession's StreamUrl says")
	default:
		// The data channel is no SDK service: no AWS_ENDPOINT_URL_ applies.
		sm := publicEndpoint("ssmmessages", region)
		urls = append(urls, sm)
	}
	if strings.HasPrefix(ssmURL, "http://") {
		return Skip("the SSM endpoint is plain HTTP (%s: a local simulator or test double): no TLS or proxy to check", ssmURL)
	}
	var ok []string
	for _, u := range urls {
		p := probeEndpoint(ctx, env, u)
		if p.Err != nil {
			return Fail("%s", p.failure()).WithDetails(append(ok, notes...)...)
		}
		line := p.describe() + " " + p.Via
		if p.Note != "" {
			line += " (" + p.Note + ")"
		}
		ok = append(ok, line)
	}
	return Pass("%s", strings.Join(ok, "; ")).WithDetails(notes...)
}
