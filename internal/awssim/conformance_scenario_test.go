package awssim

import (
	"fmt"
	"time"
)

// cliScenario is the account the CLI cross-check runs over.
// TODO(conformance): switch to DemoScenario() once it lands.
func cliScenario() *State {
	t0 := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	st := &State{}
	st.Normalize()
	st.VPCs["vpc-0c0ffee000000001"] = &VPC{ID: "vpc-0c0ffee000000001", Region: "us-east-1", CidrBlock: "10.8.0.0/16", EnableDNSSupport: true, EnableDNSHostnames: true}
	st.Subnets["subnet-0c0ffee00000001"] = &Subnet{ID: "subnet-0c0ffee00000001", VpcID: "vpc-0c0ffee000000001", Region: "us-east-1", CidrBlock: "10.8.1.0/24", AvailabilityZone: "us-east-1a"}
	st.SecurityGroups["sg-0c0ffee0000000001"] = &SecurityGroup{ID: "sg-0c0ffee0000000001", Name: "default", Description: "default VPC security group", VpcID: "vpc-0c0ffee000000001", Region: "us-east-1",
		Egress: []SGRule{{Protocol: "-1", Cidrs: []string{"0.0.0.0/0"}}}}
	st.Roles["ssm-core"] = &Role{Name: "ssm-core", ID: "AROACONFSSMCORE00001", AssumeRolePolicy: trustEC2, AttachedPolicies: []string{PolicySSMManagedInstanceCore}, CreatedAt: t0}
	st.InstanceProfile["ssm-core"] = &InstanceProfile{Name: "ssm-core", ID: "AIPACONFSSMCORE00001", Roles: []string{"ssm-core"}, CreatedAt: t0}
	for i := 1; i <= 7; i++ {
		id := fmt.Sprintf("i-0c0ffee00000000%02d", i)
		in := &Instance{ID: id, Region: "us-east-1", State: "running", InstanceType: "t3.micro", ImageID: "ami-0c0ffee000000001",
			PrivateIP: fmt.Sprintf("10.8.1.%d", 10+i), VpcID: "vpc-0c0ffee000000001", SubnetID: "subnet-0c0ffee00000001",
			SecurityGroupIDs: []string{"sg-0c0ffee0000000001"}, LaunchTime: t0, InstanceProfileName: "ssm-core",
			Tags:         []Tag{{Key: "Env", Value: "demo"}, {Key: "Name", Value: fmt.Sprintf("web-%d", i)}},
			Metadata:     MetadataOptions{HTTPTokens: "required", HTTPEndpoint: "enabled", HopLimit: 2},
			Agent:        Agent{Installed: true, Version: "3.3.1142.0", IsLatest: true, ComputerName: fmt.Sprintf("ip-10-8-1-%d", 10+i)},
			PlatformName: "Amazon Linux", PlatformVersion: "2023"}
		switch i {
		case 3:
			in.State = "stopped"
		case 4:
			in.InstanceProfileName = ""
		case 5:
			in.Agent.PingStatus = "ConnectionLost"
			in.Agent.LastPing = t0.Add(time.Hour)
		}
		st.Instances[id] = in
	}
	st.Instances["i-0c0ffee0000000e01"] = &Instance{ID: "i-0c0ffee0000000e01", Region: "eu-west-1", State: "running", Tags: []Tag{{Key: "Env", Value: "demo"}},
		Agent: Agent{Installed: true, Version: "3.3.1142.0"}, PlatformName: "Amazon Linux"}
	st.Instances["mi-0c0ffee0000000001"] = &Instance{ID: "mi-0c0ffee0000000001", Region: "us-east-1", PlatformName: "Ubuntu", PlatformVersion: "22.04", PrivateIP: "192.168.7.7",
		Agent: Agent{Installed: true, Version: "3.3.1142.0", ComputerName: "onprem", ActivationID: "act-conf", IamRole: "SSMServiceRole", RegisteredAt: t0}}
	st.Users["admin"] = &User{Name: "admin", ID: "AIDACONFADMIN0000001", AttachedPolicies: []string{PolicyAdministratorAccess}, CreatedAt: t0}
	st.Users["nodoc"] = &User{Name: "nodoc", ID: "AIDACONFNODOC0000001", Path: "/people/", CreatedAt: t0, InlinePolicies: map[string]string{"p": `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ec2:*:*:instance/*"}]}`}}
	st.Users["denied"] = &User{Name: "denied", ID: "AIDACONFDENIED000001", AttachedPolicies: []string{PolicyAdministratorAccess}, CreatedAt: t0,
		InlinePolicies: map[string]string{"no-ssm": `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ssm:*","Resource":"*"}]}`}}
	for _, u := range []string{"admin", "nodoc", "denied"} {
		st.AccessKeys["AKIACONF"+u] = &AccessKey{ID: "AKIACONF" + u, Secret: "conf-secret-" + u, UserName: u, Status: "Active"}
	}
	return st
}
