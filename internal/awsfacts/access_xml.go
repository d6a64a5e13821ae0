package awsfacts

import (
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// A fleet's SimulatePrincipalPolicy answers (100 resources each, with
// their matched statements) were, after the DescribeInstances pages, the
// SDK decoding that cost the fleet check most CPU (docs/benchmarks.md).
// simulateGroup's pages are decoded here instead, with pages_xml.go's
// scanner, into what collectSimResult and the paginator read:
//
//	IsTruncated, Marker, EvaluationResults: EvalActionName,
//	EvalResourceName, EvalDecision, MatchedStatements, MissingContextValues,
//	ResourceSpecificResults (EvalResourceName, EvalResourceDecision,
//	MatchedStatements, MissingContextValues)
//
// with each Statement whole. Only awsfacts reads these outputs, and
// TestSimulationDecodeMatchesSDK holds the decisions collected from them
// equal to those collected from the SDK's decoding. Names are matched
// exactly (a name that differs only in case goes to the SDK), and any
// body the scanner does not take whole goes to the SDK's deserializer.

// withSimulationDecoder has the call's successful responses decoded by
// decodeSimulation.
func withSimulationDecoder() func(*iam.Options) {
	return func(o *iam.Options) {
		o.APIOptions = append(o.APIOptions, swapDeserializer(func(b []byte) (any, bool) { return decodeSimulation(b) }))
	}
}

// decodeSimulation decodes a SimulatePrincipalPolicy response body; ok is
// false when the body is not one this decoder takes whole.
func decodeSimulation(body []byte) (out *iam.SimulatePrincipalPolicyOutput, ok bool) {
	d := &xmlScan{b: body}
	defer d.recover(&ok)
	root, found := d.prolog()
	if !found {
		bail() // the SDK's own answer to an empty body
	}
	out = &iam.SimulatePrincipalPolicyOutput{}
	result := false
	d.children(root, func(name []byte) {
		if !exact(name, "SimulatePrincipalPolicyResult") {
			d.skip(name)
			return
		}
		if result {
			bail() // twice: the SDK's
		}
		result = true
		d.children(name, func(f []byte) {
			switch {
			case exact(f, "EvaluationResults"):
				if out.EvaluationResults != nil {
					bail()
				}
				out.EvaluationResults = []iamtypes.EvaluationResult{}
				d.members(f, func() {
					out.EvaluationResults = append(out.EvaluationResults, d.evalResult())
				})
			case exact(f, "IsTruncated"):
				switch d.text(f) {
				case "true":
					out.IsTruncated = true
				case "false":
					out.IsTruncated = false
				default:
					bail()
				}
			case exact(f, "Marker"):
				out.Marker = d.str(f)
			default:
				d.skip(f)
			}
		})
	})
	if !result {
		bail()
	}
	return out, true
}

// members calls f for each <member> child of the list element name, with
// its start tag read; any other child bails.
func (d *xmlScan) members(name []byte, f func()) {
	d.children(name, func(child []byte) {
		if !exact(child, "member") {
			bail()
		}
		f()
	})
}

func (d *xmlScan) evalResult() iamtypes.EvaluationResult {
	var r iamtypes.EvaluationResult
	d.children(d.name, func(f []byte) {
		switch {
		case exact(f, "EvalActionName"):
			r.EvalActionName = d.str(f)
		case exact(f, "EvalResourceName"):
			r.EvalResourceName = d.str(f)
		case exact(f, "EvalDecision"):
			r.EvalDecision = iamtypes.PolicyEvaluationDecisionType(d.text(f))
		case exact(f, "MatchedStatements"):
			r.MatchedStatements = d.statements(f)
		case exact(f, "MissingContextValues"):
			r.MissingContextValues = d.strings(f)
		case exact(f, "ResourceSpecificResults"):
			r.ResourceSpecificResults = []iamtypes.ResourceSpecificResult{}
			d.members(f, func() {
				var rs iamtypes.ResourceSpecificResult
				d.children(d.name, func(g []byte) {
					switch {
					case exact(g, "EvalResourceName"):
						rs.EvalResourceName = d.str(g)
					case exact(g, "EvalResourceDecision"):
						rs.EvalResourceDecision = iamtypes.PolicyEvaluationDecisionType(d.text(g))
					case exact(g, "MatchedStatements"):
						rs.MatchedStatements = d.statements(g)
					case exact(g, "MissingContextValues"):
						rs.MissingContextValues = d.strings(g)
					default:
						d.skip(g)
					}
				})
				r.ResourceSpecificResults = append(r.ResourceSpecificResults, rs)
			})
		default:
			d.skip(f)
		}
	})
	return r
}

func (d *xmlScan) statements(name []byte) []iamtypes.Statement {
	out := []iamtypes.Statement{}
	d.members(name, func() {
		var s iamtypes.Statement
		d.children(d.name, func(f []byte) {
			switch {
			case exact(f, "SourcePolicyId"):
				s.SourcePolicyId = d.str(f)
			case exact(f, "SourcePolicyType"):
				s.SourcePolicyType = iamtypes.PolicySourceType(d.text(f))
			case exact(f, "StartPosition"):
				s.StartPosition = d.position(f)
			case exact(f, "EndPosition"):
				s.EndPosition = d.position(f)
			default:
				d.skip(f)
			}
		})
		out = append(out, s)
	})
	return out
}

func (d *xmlScan) position(name []byte) *iamtypes.Position {
	p := &iamtypes.Position{}
	d.children(name, func(f []byte) {
		switch {
		case exact(f, "Line"):
			p.Line = d.plainInt32(f)
		case exact(f, "Column"):
			p.Column = d.plainInt32(f)
		default:
			d.skip(f)
		}
	})
	return p
}

func (d *xmlScan) strings(name []byte) []string {
	out := []string{}
	d.members(name, func() { out = append(out, d.text(d.name)) })
	return out
}

// plainInt32 is a decimal that fits in 32 bits; anything else bails.
func (d *xmlScan) plainInt32(name []byte) int32 {
	n, err := strconv.ParseInt(d.text(name), 10, 32)
	if err != nil {
		bail()
	}
	return int32(n)
}
