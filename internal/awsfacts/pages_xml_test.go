package awsfacts

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// decodedInstanceFields are the fields decodeInstancePage fills (see
// pages_xml.go); the tests hold the two lists equal.
var decodedInstanceFields = map[string][]string{
	"Reservation": {"Groups", "Instances", "OwnerId", "RequesterId", "ReservationId"},
	"Instance": {"IamInstanceProfile", "InstanceId", "KeyName", "MetadataOptions", "NetworkInterfaces", "Platform",
		"PrivateIpAddress", "PublicIpAddress", "SecurityGroups", "State", "SubnetId", "Tags", "VpcId"},
	// Of each network interface, only its groups.
	"InstanceNetworkInterface": {"Groups"},
	// decodeStatusPage's (status_xml.go).
	"InstanceStatus":        {"Events", "InstanceId", "InstanceState", "InstanceStatus", "SystemStatus"},
	"InstanceStatusSummary": {"Status"},
	"InstanceStatusEvent":   {"Code", "Description", "NotBefore"},
}

// keepFields copies the named fields of *src into *dst.
func keepFields(t *testing.T, src, dst any, fields []string) {
	t.Helper()
	s, d := reflect.ValueOf(src).Elem(), reflect.ValueOf(dst).Elem()
	for _, f := range fields {
		if !s.FieldByName(f).IsValid() {
			t.Fatalf("%s has no field %s", s.Type(), f)
		}
		d.FieldByName(f).Set(s.FieldByName(f))
	}
}

// projectPage is the SDK's decoding of a page cut down to the decoded
// fields: what decodeInstancePage must return.
func projectPage(t *testing.T, o *ec2.DescribeInstancesOutput) *ec2.DescribeInstancesOutput {
	t.Helper()
	keep := func(src, dst any, fields []string) { keepFields(t, src, dst, fields) }
	out := &ec2.DescribeInstancesOutput{NextToken: o.NextToken}
	if o.Reservations != nil {
		out.Reservations = []ec2types.Reservation{}
	}
	for _, r := range o.Reservations {
		var pr ec2types.Reservation
		keep(&r, &pr, decodedInstanceFields["Reservation"])
		if r.Instances != nil {
			pr.Instances = []ec2types.Instance{}
		}
		for _, in := range r.Instances {
			var pi ec2types.Instance
			keep(&in, &pi, decodedInstanceFields["Instance"])
			if in.NetworkInterfaces != nil {
				pi.NetworkInterfaces = []ec2types.InstanceNetworkInterface{}
				for _, ni := range in.NetworkInterfaces {
					var pn ec2types.InstanceNetworkInterface
					keep(&ni, &pn, decodedInstanceFields["InstanceNetworkInterface"])
					pi.NetworkInterfaces = append(pi.NetworkInterfaces, pn)
				}
			}
			pr.Instances = append(pr.Instances, pi)
		}
		out.Reservations = append(out.Reservations, pr)
	}
	return out
}

// bodyServer answers every request with status and body.
func bodyServer(t *testing.T, status int, body string) *ec2.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
}

// bothWays makes one call decoded by the SDK and one by decodeInstancePage.
func bothWays(t *testing.T, c *ec2.Client) (sdk, light *ec2.DescribeInstancesOutput, sdkErr, lightErr error) {
	t.Helper()
	ctx := context.Background()
	sdk, sdkErr = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	light, lightErr = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}, withInstancePageDecoder())
	// The metadata is not the body's: compared without it.
	for _, o := range []*ec2.DescribeInstancesOutput{sdk, light} {
		if o != nil {
			o.ResultMetadata = middleware.Metadata{}
		}
	}
	return
}

const craftedPage = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>0b8c9f0e-1111-2222-3333-444455556666</requestId>
    <reservationSet>
        <item>
            <reservationId>r-0a1</reservationId>
            <ownerId>123456789012</ownerId>
            <groupSet/>
            <instancesSet>
                <item>
                    <instanceId>i-0aaa</instanceId>
                    <imageId>ami-1</imageId>
                    <instanceState>
                        <code>16</code>
                        <name>running</name>
                    </instanceState>
                    <privateDnsName>ip-10-0-0-1.ec2.internal</privateDnsName>
                    <dnsName/>
                    <reason></reason>
                    <productCodes/>
                    <placement><availabilityZone>us-east-1a</availabilityZone><tenancy>default</tenancy></placement>
                    <subnetId>subnet-1</subnetId>
                    <vpcId>vpc-1</vpcId>
                    <privateIpAddress>10.0.0.1</privateIpAddress>
                    <ipAddress>54.1.2.3</ipAddress>
                    <keyName>legacy &amp; key</keyName>
                    <platform>windows</platform>
                    <groupSet>
                        <item><groupId>sg-1</groupId><groupName>web &amp; ssh</groupName></item>
                        <item><groupName>only-name</groupName><groupId>sg-2</groupId></item>
                    </groupSet>
                    <iamInstanceProfile><arn>arn:aws:iam::123456789012:instance-profile/p</arn><id>AIPA1</id></iamInstanceProfile>
                    <networkInterfaceSet>
                        <item>
                            <networkInterfaceId>eni-1</networkInterfaceId>
                            <subnetId>subnet-OTHER</subnetId>
                            <privateIpAddress>10.9.9.9</privateIpAddress>
                            <groupSet><item><groupId>sg-OTHER</groupId></item></groupSet>
                            <tagSet><item><key>eni</key><value>x</value></item></tagSet>
                        </item>
                        <item>
                            <networkInterfaceId>eni-2</networkInterfaceId>
                            <groupSet/>
                        </item>
                    </networkInterfaceSet>
                    <tagSet>
                        <item><key>Name</key><value>caf&#233; &lt;prod&gt; &#x41;&quot;&apos;</value></item>
                        <item><key>Empty</key><value/></item>
                        <item><key>Spaces</key><value>  two  words  </value></item>
                        <item><key>Unicode</key><value>日本語 ✓</value></item>
                        <other>ignored</other>
                    </tagSet>
                    <metadataOptions>
                        <state>applied</state>
                        <httpTokens>required</httpTokens>
                        <httpPutResponseHopLimit>2</httpPutResponseHopLimit>
                        <httpEndpoint>enabled</httpEndpoint>
                        <httpProtocolIpv6>disabled</httpProtocolIpv6>
                        <instanceMetadataTags>enabled</instanceMetadataTags>
                    </metadataOptions>
                    <unknownThing attr="1" other='a&amp;b'><deep><deeper>text</deeper></deep></unknownThing>
                </item>
                <item>
                    <INSTANCEID>i-0bbb</INSTANCEID>
                    <instanceState><code>80</code><name>stopped</name></instanceState>
                    <vpcId></vpcId>
                    <ipAddress/>
                    <groupSet/>
                    <tagSet/>
                    <iamInstanceProfile/>
                </item>
            </instancesSet>
        </item>
        <item>
            <reservationId>r-0b2</reservationId>
            <ownerId>123456789012</ownerId>
            <requesterId>940372691376</requesterId>
            <groupSet><item><groupId>sg-r</groupId></item></groupSet>
            <instancesSet/>
        </item>
    </reservationSet>
    <nextToken>eyJ0b2tlbiI6IjEifQ==</nextToken>
</DescribeInstancesResponse>`

// TestInstancePageDecodeMatchesSDK: the decoded fields are the SDK's own,
// for a page that uses every one of them, escapes, empty elements, mixed
// case, nested lists of the same names, and for the simulator's pages of
// a generated fleet.
func TestInstancePageDecodeMatchesSDK(t *testing.T) {
	if _, ok := decodeInstancePage([]byte(craftedPage)); !ok {
		t.Fatal("decodeInstancePage did not take the crafted page")
	}
	sdk, light, sdkErr, lightErr := bothWays(t, bodyServer(t, 200, craftedPage))
	if sdkErr != nil || lightErr != nil {
		t.Fatalf("errors: SDK %v, decoder %v", sdkErr, lightErr)
	}
	if want := projectPage(t, sdk); !reflect.DeepEqual(light, want) {
		g, _ := json.MarshalIndent(light, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("crafted page decoded as\n%s\nthe SDK's (decoded fields):\n%s", g, w)
	}
	if got := aws.ToString(light.Reservations[0].Instances[0].Tags[0].Value); got != `café <prod> A"'` {
		t.Errorf("escaped tag value %q", got)
	}

	// The simulator's pages of a generated fleet.
	st := awssim.GenerateFleet(300, awssim.DefaultFleetMix, 1)
	s := simtest.Start(t, st, awssim.Options{})
	c := simtest.Clients(t, s, st, awssim.DemoAccessKey, awsapi.Options{})
	in := &ec2.DescribeInstancesInput{MaxResults: aws.Int32(100)}
	pages := 0
	for {
		sdk, err := c.EC2.DescribeInstances(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		light, err := c.EC2.DescribeInstances(context.Background(), in, withInstancePageDecoder())
		if err != nil {
			t.Fatal(err)
		}
		sdk.ResultMetadata, light.ResultMetadata = middleware.Metadata{}, middleware.Metadata{}
		if want := projectPage(t, sdk); !reflect.DeepEqual(light, want) {
			t.Fatalf("simulator page %d: decoder and SDK differ", pages)
		}
		pages++
		if sdk.NextToken == nil {
			break
		}
		in.NextToken = sdk.NextToken
	}
	if pages < 3 {
		t.Fatalf("%d pages: the fleet did not page", pages)
	}
}

// TestInstancePageDecodeLeavesTheRestToTheSDK: a body the decoder does not
// take whole reaches the SDK's deserializer as it came, so the answer (or
// the error) is the SDK's; error responses keep their codes.
func TestInstancePageDecodeLeavesTheRestToTheSDK(t *testing.T) {
	inst := func(inner string) string {
		return `<DescribeInstancesResponse><reservationSet><item><instancesSet><item>` + inner +
			`</item></instancesSet></item></reservationSet></DescribeInstancesResponse>`
	}
	for _, c := range []struct {
		name, body string
		sdkErr     bool
	}{
		{"comment in a value", inst(`<instanceId>i-1<!-- c --></instanceId>`), true},
		{"comment between elements", inst(`<instanceId>i-1</instanceId><!-- c --><vpcId>v</vpcId>`), false},
		{"CDATA", inst(`<instanceId><![CDATA[i-<1>]]></instanceId>`), false},
		{"carriage return", inst("<tagSet><item><key>k</key><value>a\r\nb</value></item></tagSet>"), false},
		{"reference to a carriage return", inst("<tagSet><item><key>k</key><value>a&#13;b</value></item></tagSet>"), false},
		{"unknown entity", inst(`<instanceId>i&nbsp;1</instanceId>`), true},
		{"]]> in text", inst(`<instanceId>i]]>1</instanceId>`), true},
		{"truncated", inst(`<instanceId>i-1</instanceId>`)[:60], true},
		{"mismatched end tag", inst(`<instanceId>i-1</instanceid>`), true},
		{"bad integer", inst(`<instanceState><code>x</code></instanceState>`), true},
		{"child in a value", inst(`<instanceId><b>i</b></instanceId>`), true},
		{"non-UTF-8 declaration", `<?xml version="1.0" encoding="ISO-8859-1"?>` + inst(`<instanceId>i-1</instanceId>`), true},
		{"invalid UTF-8", inst("<instanceId>i-\xff</instanceId>"), true},
		{"non-ASCII element name", inst(`<ınstanceId>i-1</ınstanceId>`), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := decodeInstancePage([]byte(c.body)); ok {
				t.Errorf("decodeInstancePage took %q", c.body)
			}
			sdk, light, sdkErr, lightErr := bothWays(t, bodyServer(t, 200, c.body))
			if (sdkErr != nil) != c.sdkErr {
				t.Fatalf("the SDK's error: %v, want an error: %v", sdkErr, c.sdkErr)
			}
			if (lightErr != nil) != (sdkErr != nil) || sdkErr != nil && sdkErr.Error() != lightErr.Error() {
				t.Errorf("errors: SDK %v, with the decoder %v", sdkErr, lightErr)
			}
			if sdkErr == nil && !reflect.DeepEqual(sdk, light) {
				t.Errorf("outputs differ: SDK %+v, with the decoder %+v", sdk, light)
			}
		})
	}

	const errBody = `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InvalidParameterValue</Code><Message>bad filter</Message></Error></Errors><RequestID>r1</RequestID></Response>`
	_, _, sdkErr, lightErr := bothWays(t, bodyServer(t, 400, errBody))
	if ErrorCode(sdkErr) != "InvalidParameterValue" || ErrorCode(lightErr) != "InvalidParameterValue" {
		t.Errorf("error codes: SDK %q (%v), with the decoder %q (%v)", ErrorCode(sdkErr), sdkErr, ErrorCode(lightErr), lightErr)
	}
	_, light, _, lightErr := bothWays(t, bodyServer(t, 200, ""))
	if lightErr != nil || len(light.Reservations) != 0 || light.NextToken != nil {
		t.Errorf("empty body: %+v, %v; want an empty page as the SDK gives", light, lightErr)
	}
}

// TestDoctorReadsOnlyDecodedInstanceFields: no product code reads a field
// of an Instance or a Reservation that decodeInstancePage leaves empty
// (the instances the fleet listing returns are everyone's), nor one of an
// instance status that decodeStatusPage leaves empty. Type-checked
// over every package of the module but the simulator.
func TestDoctorReadsOnlyDecodedInstanceFields(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command to list the module's packages")
	}
	cmd := exec.Command("go", "list", "-export", "-deps", "-json=ImportPath,Dir,Export,GoFiles,Module", "github.com/ssmdoctor/ssmdoctor/...")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath, Dir, Export string
		GoFiles                 []string
		Module                  *struct{ Path string }
	}
	exports := map[string]string{}
	var mine []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		exports[p.ImportPath] = p.Export
		if p.Module != nil && p.Module.Path == "github.com/ssmdoctor/ssmdoctor" && !strings.Contains(p.ImportPath, "internal/awssim") {
			mine = append(mine, p)
		}
	}
	allowed := map[string]bool{}
	for typ, fs := range decodedInstanceFields {
		for _, f := range fs {
			allowed[typ+"."+f] = true
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) { return os.Open(exports[path]) })
	var bad []string
	checked := 0
	for _, p := range mine {
		var files []*ast.File
		for _, f := range p.GoFiles {
			af, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, af)
		}
		info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}}
		if _, err := (&types.Config{Importer: imp}).Check(p.ImportPath, fset, files, info); err != nil {
			t.Fatalf("type-check %s: %v", p.ImportPath, err)
		}
		checked++
		for sel, s := range info.Selections {
			if s.Kind() != types.FieldVal {
				continue
			}
			recv := s.Recv()
			if ptr, ok := recv.(*types.Pointer); ok {
				recv = ptr.Elem()
			}
			n, ok := recv.(*types.Named)
			if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != "github.com/aws/aws-sdk-go-v2/service/ec2/types" {
				continue
			}
			typ := n.Obj().Name()
			if _, watched := decodedInstanceFields[typ]; watched && !allowed[typ+"."+sel.Sel.Name] {
				bad = append(bad, fset.Position(sel.Pos()).String()+": "+typ+"."+sel.Sel.Name)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d packages checked", checked)
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("%s is not decoded by decodeInstancePage or decodeStatusPage: decode it there (and in decodedInstanceFields) or read it elsewhere", b)
	}
}

// TestInstancePageDecodeAfterThePeek: with the next-token peek inside it
// (as describeInstancePages calls), the decoder reads the body the peek
// read, from its start, and a body it leaves reaches the SDK whole.
func TestInstancePageDecodeAfterThePeek(t *testing.T) {
	for _, body := range []string{craftedPage, strings.Replace(craftedPage, "<requestId>", "<!-- the SDK's --><requestId>", 1)} {
		c := bodyServer(t, 200, body)
		var peeked string
		both, err := c.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{},
			withNextTokenPeek(func(tok string) { peeked = tok }), withInstancePageDecoder())
		if err != nil {
			t.Fatal(err)
		}
		sdk, _, _, _ := bothWays(t, c)
		both.ResultMetadata = middleware.Metadata{}
		if peeked != "eyJ0b2tlbiI6IjEifQ==" || aws.ToString(both.NextToken) != peeked {
			t.Errorf("peeked %q, decoded %q", peeked, aws.ToString(both.NextToken))
		}
		if want := projectPage(t, sdk); !reflect.DeepEqual(projectPage(t, both), want) {
			t.Errorf("after the peek the page decoded differently")
		}
		if len(both.Reservations) != 2 || len(both.Reservations[0].Instances) != 2 {
			t.Errorf("after the peek: %d reservations", len(both.Reservations))
		}
	}
}
