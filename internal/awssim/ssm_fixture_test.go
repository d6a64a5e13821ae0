package awssim

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2instanceconnect"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// ssmT0 is the fixture's wall clock; tests that need time to pass use
// ssmClock.
var ssmT0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// Instance ids of the fixture, one per case of the demo scenario.
const (
	idHealthy      = "i-0000000000000a001"
	idOldAgent     = "i-0000000000000a002"
	idNoProfile    = "i-0000000000000a003"
	idRoleNoSSM    = "i-0000000000000a004"
	idLegacy       = "i-0000000000000a005"
	idConnLost     = "i-0000000000000a006"
	idPrivate      = "i-0000000000000a007"
	idStopped      = "i-0000000000000a008"
	idDHMC         = "i-0000000000000a009"
	idDHMCv1       = "i-0000000000000a00a"
	idEndpoints    = "i-0000000000000a00b"
	idNoAgent      = "i-0000000000000a00c"
	idInactive     = "i-0000000000000a00d"
	idOtherRegion  = "i-0000000000000e001"
	idHybrid       = "mi-0000000000000b001"
	ssmLastPingFix = "2026-03-01T00:00:00Z"
)

// ssmFixture is an account with an instance per registration case, network
// layouts for each path to SSM, and users per authorization case:
// ops (everything), nodoc (StartSession on instances but not on the SSH
// document), denied (everything, then an explicit deny of everything),
// tagged (only instances tagged Env=prod), osuser (EIC only as ec2-user),
// self (sessions named after itself only). DHMC is on in us-east-1.
func ssmFixture() *State {
	st := &State{}
	st.Normalize()
	lastPing, _ := time.Parse(time.RFC3339, ssmLastPingFix)
	st.VPCs["vpc-pub"] = &VPC{ID: "vpc-pub", Region: "us-east-1", CidrBlock: "10.0.0.0/16", EnableDNSSupport: true, EnableDNSHostnames: true}
	st.VPCs["vpc-priv"] = &VPC{ID: "vpc-priv", Region: "us-east-1", CidrBlock: "10.1.0.0/16", EnableDNSSupport: true, EnableDNSHostnames: true}
	st.VPCs["vpc-ep"] = &VPC{ID: "vpc-ep", Region: "us-east-1", CidrBlock: "10.2.0.0/16", EnableDNSSupport: true, EnableDNSHostnames: true}
	st.VPCs["vpc-eu"] = &VPC{ID: "vpc-eu", Region: "eu-west-1", CidrBlock: "10.3.0.0/16", EnableDNSSupport: true, EnableDNSHostnames: true}
	st.Subnets["subnet-pub"] = &Subnet{ID: "subnet-pub", VpcID: "vpc-pub", Region: "us-east-1", AvailabilityZone: "us-east-1a", CidrBlock: "10.0.0.0/24", MapPublicIPOnLaunch: true}
	st.Subnets["subnet-priv"] = &Subnet{ID: "subnet-priv", VpcID: "vpc-priv", Region: "us-east-1", AvailabilityZone: "us-east-1b", CidrBlock: "10.1.0.0/24"}
	st.Subnets["subnet-ep"] = &Subnet{ID: "subnet-ep", VpcID: "vpc-ep", Region: "us-east-1", AvailabilityZone: "us-east-1c", CidrBlock: "10.2.0.0/24"}
	st.Subnets["subnet-eu"] = &Subnet{ID: "subnet-eu", VpcID: "vpc-eu", Region: "eu-west-1", AvailabilityZone: "eu-west-1a", CidrBlock: "10.3.0.0/24", MapPublicIPOnLaunch: true}
	local := func(cidr string) Route { return Route{DestinationCidrBlock: cidr, GatewayID: "local", State: "active"} }
	st.RouteTables["rtb-pub"] = &RouteTable{ID: "rtb-pub", VpcID: "vpc-pub", Region: "us-east-1", Main: true,
		Routes: []Route{local("10.0.0.0/16"), {DestinationCidrBlock: "0.0.0.0/0", GatewayID: "igw-1", State: "active"}}}
	st.RouteTables["rtb-eu"] = &RouteTable{ID: "rtb-eu", VpcID: "vpc-eu", Region: "eu-west-1", Main: true,
		Routes: []Route{local("10.3.0.0/16"), {DestinationCidrBlock: "0.0.0.0/0", GatewayID: "igw-2", State: "active"}}}
	st.RouteTables["rtb-priv"] = &RouteTable{ID: "rtb-priv", VpcID: "vpc-priv", Region: "us-east-1", Main: true, Routes: []Route{local("10.1.0.0/16")}}
	st.RouteTables["rtb-ep"] = &RouteTable{ID: "rtb-ep", VpcID: "vpc-ep", Region: "us-east-1", Subnets: []string{"subnet-ep"}, Routes: []Route{local("10.2.0.0/16")}}
	for _, svc := range []string{"ssm", "ssmmessages"} {
		st.VpcEndpoints["vpce-"+svc] = &VpcEndpoint{ID: "vpce-" + svc, Region: "us-east-1", VpcID: "vpc-ep", ServiceName: "com.amazonaws.us-east-1." + svc,
			Type: "Interface", State: "available", PrivateDNSEnabled: true, SubnetIDs: []string{"subnet-ep"}}
	}
	st.Roles["ssm-core"] = &Role{Name: "ssm-core", ID: "AROASSMCORE0000001", AttachedPolicies: []string{PolicySSMManagedInstanceCore}}
	st.Roles["legacy"] = &Role{Name: "legacy", ID: "AROALEGACY00000001", AttachedPolicies: []string{PolicyEC2RoleforSSMLegacy}}
	st.Roles["app"] = &Role{Name: "app", ID: "AROAAPP0000000001", InlinePolicies: map[string]string{"s3": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`}}
	st.InstanceProfile["prof-core"] = &InstanceProfile{Name: "prof-core", ID: "AIPACORE000000001", Roles: []string{"ssm-core"}}
	st.InstanceProfile["prof-legacy"] = &InstanceProfile{Name: "prof-legacy", ID: "AIPALEGACY0000001", Roles: []string{"legacy"}}
	st.InstanceProfile["prof-app"] = &InstanceProfile{Name: "prof-app", ID: "AIPAAPP0000000001", Roles: []string{"app"}}
	st.ServiceSettings["us-east-1"] = map[string]string{settingDHMCRole: "service-role/AWSSystemsManagerDefaultEC2InstanceManagementRole"}

	agent := func(v string) Agent {
		return Agent{Installed: true, Version: v, IsLatest: v == "3.3.1142.0", ComputerName: "ip-10-0-0-1.ec2.internal"}
	}
	add := func(id, state, subnet, profile string, a Agent, mutate func(*Instance)) {
		vpc := st.Subnets[subnet].VpcID
		inst := &Instance{ID: id, Region: "us-east-1", State: state, SubnetID: subnet, VpcID: vpc, InstanceProfileName: profile,
			Agent: a, PlatformName: "Amazon Linux", PlatformVersion: "2023", LaunchTime: ssmT0.Add(-24 * time.Hour),
			Metadata: MetadataOptions{HTTPTokens: "optional", HTTPEndpoint: "enabled", HopLimit: 1}}
		// Set here, not left to Normalize: tests read the fixture raw, and
		// an internet gateway only serves instances with a public address.
		if st.Subnets[subnet].MapPublicIPOnLaunch {
			inst.PublicIP = fmt.Sprintf("3.80.0.%d", 10+len(st.Instances))
		}
		if mutate != nil {
			mutate(inst)
		}
		st.Instances[id] = inst
	}
	add(idHealthy, "running", "subnet-pub", "prof-core", agent("3.3.1142.0"), func(i *Instance) {
		i.Tags = []Tag{{Key: "Name", Value: "healthy"}, {Key: "Env", Value: "prod"}}
		i.PrivateIP = "10.0.0.10"
		i.Ports = map[string]string{"22": "127.0.0.1:1", "10.0.0.99:5432": "127.0.0.1:2"}
	})
	add(idOldAgent, "running", "subnet-pub", "prof-core", agent("2.3.500.0"), func(i *Instance) { i.Tags = []Tag{{Key: "Env", Value: "dev"}} })
	add(idNoProfile, "running", "subnet-pub", "", agent("3.3.1142.0"), nil)
	add(idRoleNoSSM, "running", "subnet-pub", "prof-app", agent("3.3.1142.0"), nil)
	add(idLegacy, "running", "subnet-pub", "prof-legacy", agent("3.1.0.0"), func(i *Instance) { i.Platform = "windows"; i.PlatformName = "Microsoft Windows Server 2022 Datacenter" })
	add(idConnLost, "running", "subnet-pub", "prof-core", agent("3.3.1142.0"), func(i *Instance) { i.Agent.PingStatus = "ConnectionLost"; i.Agent.LastPing = lastPing })
	add(idPrivate, "running", "subnet-priv", "prof-core", agent("3.3.1142.0"), nil)
	add(idStopped, "stopped", "subnet-pub", "prof-core", agent("3.3.1142.0"), func(i *Instance) { i.Agent.LastPing = lastPing })
	add(idDHMC, "running", "subnet-pub", "", agent("3.2.582.0"), func(i *Instance) { i.Metadata.HTTPTokens = "required" })
	add(idDHMCv1, "running", "subnet-pub", "", agent("3.3.1142.0"), nil)
	add(idEndpoints, "running", "subnet-ep", "prof-core", agent("3.3.1142.0"), nil)
	add(idNoAgent, "running", "subnet-pub", "prof-core", Agent{}, nil)
	add(idInactive, "running", "subnet-pub", "prof-core", agent("3.3.1142.0"), func(i *Instance) { i.Agent.PingStatus = "Inactive"; i.Agent.LastPing = lastPing })
	add(idOtherRegion, "running", "subnet-eu", "prof-core", agent("3.3.1142.0"), func(i *Instance) { i.Region = "eu-west-1" })
	st.Instances[idHybrid] = &Instance{ID: idHybrid, Region: "us-east-1", PlatformName: "Ubuntu", PlatformVersion: "22.04", PrivateIP: "192.168.1.5",
		Agent: Agent{Installed: true, Version: "3.3.1142.0", ComputerName: "onprem-1", ActivationID: "act-1", IamRole: "SSMServiceRole", RegisteredAt: ssmT0.Add(-48 * time.Hour)},
		Ports: map[string]string{"22": "127.0.0.1:3"}}

	st.KMSKeys["1234abcd-12ab-34cd-56ef-1234567890ab"] = &KMSKey{ID: "1234abcd-12ab-34cd-56ef-1234567890ab", Region: "us-east-1"}
	st.KMSKeys["eu000000-12ab-34cd-56ef-1234567890ab"] = &KMSKey{ID: "eu000000-12ab-34cd-56ef-1234567890ab", Region: "eu-west-1"}

	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:*","ec2-instance-connect:*","kms:*"],"Resource":"*"}]}`
	users := map[string]map[string]string{
		"ops": {"all": allow},
		"nodoc": {"p": `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ec2:*:*:instance/*"},
			{"Effect":"Allow","Action":["ssm:Describe*","ssm:Get*","ssm:TerminateSession","ssm:ResumeSession"],"Resource":"*"}]}`},
		"denied": {"all": allow, "deny": `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`},
		"tagged": {"p": `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringEquals":{"aws:ResourceTag/Env":"prod","ssm:resourceTag/Name":"healthy"}}},
			{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ssm:*::document/AWS-StartSSHSession","Condition":{"BoolIfExists":{"ssm:SessionDocumentAccessCheck":"true"}}}]}`},
		"osuser": {"p": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2-instance-connect:SendSSHPublicKey","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringEquals":{"ec2:osuser":"ec2-user","ec2:ResourceTag/Env":"prod"}}}]}`},
		"self": {"p": `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"ssm:StartSession","Resource":"*"},
			{"Effect":"Allow","Action":["ssm:TerminateSession","ssm:ResumeSession"],"Resource":"arn:aws:ssm:*:*:session/${aws:username}-*"}]}`},
	}
	for name, pols := range users {
		st.Users[name] = &User{Name: name, ID: "AIDA" + strings.ToUpper(name) + "00000001", InlinePolicies: pols}
		st.AccessKeys["AKIA"+strings.ToUpper(name)] = &AccessKey{ID: "AKIA" + strings.ToUpper(name), Secret: "secret-" + name, UserName: name, Status: "Active"}
	}
	return st
}

// ssmClock is a settable clock for Options.Now, shared by the SSM and EC2
// fixtures.
type ssmClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *ssmClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *ssmClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// startSSMSim runs the fixture with a settable clock.
func startSSMSim(t *testing.T) (*Sim, *ssmClock) {
	t.Helper()
	clk := &ssmClock{t: ssmT0}
	return startSim(t, ssmFixture(), Options{Now: clk.Now}), clk
}

func ssmAs(s *Sim, who string) *ssm.Client {
	return ssm.NewFromConfig(awsConfig(s, "AKIA"+strings.ToUpper(who), "secret-"+who, ""))
}

func ssmAsRegion(s *Sim, who, region string) *ssm.Client {
	cfg := awsConfig(s, "AKIA"+strings.ToUpper(who), "secret-"+who, "")
	cfg.Region = region
	return ssm.NewFromConfig(cfg)
}

func eicAs(s *Sim, who string) *ec2instanceconnect.Client {
	return ec2instanceconnect.NewFromConfig(awsConfig(s, "AKIA"+strings.ToUpper(who), "secret-"+who, ""))
}

func kmsAs(s *Sim, who string) *kms.Client {
	return kms.NewFromConfig(awsConfig(s, "AKIA"+strings.ToUpper(who), "secret-"+who, ""))
}
