/*
JSON schema, version 1 (--format json). Field order is fixed; targets and
checks keep run order. Every field is always present (strings may be empty,
details may be []), except generatedAt and durationMs, which are left out in
deterministic mode. A new field may appear without a version bump; removing
or redefining one bumps schemaVersion.

	{
	  "schemaVersion": 1,
	  "ssmdoctorVersion": "0.1.0",
	  "generatedAt": "2026-01-02T03:04:05Z",
	  "targets": [
	    {
	      "input": "web-1",                    // as typed; "" when no target was given
	      "instanceId": "i-0123456789abcdef0", // "" when not resolved
	      "region": "eu-west-1",
	      "checks": [
	        {
	          "id": "ssh-config",              // stable; see ssmdoctor check --list-checks
	          "title": "ssh routes the target through Session Manager",
	          "layer": "local",                // local | caller | instance | session
	          "status": "fail",                // pass | warn | fail | skip | error (could not determine)
	          "message": "one line",
	          "details": ["more lines"],
	          "fix": "ssmdoctor fix --ssh-config", // a command to paste, or ""
	          "fixId": "ssh-config",           // the ssmdoctor fix selector, or ""
	          "missing": "",                   // for error: the permission or call that failed
	          "durationMs": 12
	        }
	      ],
	      "summary": {"pass": 0, "warn": 0, "fail": 1, "skip": 0, "error": 0}
	    }
	  ],
	  "summary": {"pass": 0, "warn": 0, "fail": 1, "skip": 0, "error": 0}
	}

summary is keyed by status, so summary[check.status] counts a check's kind.
*/
package report
