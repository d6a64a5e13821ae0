package awssim

import (
	"time"
)

// State is the whole simulated account. A scenario file is this structure in
// JSON; Normalize fills defaults. Every map is keyed by the resource's id or
// name. All access goes through Sim.mu.
type State struct {
	AccountID     string   `json:"AccountId"`
	DefaultRegion string   `json:"DefaultRegion"`
	Regions       []string `json:"Regions"` // regions DescribeRegions lists

	Instances       map[string]*Instance        `json:"Instances"` // i- and mi- ids
	VPCs            map[string]*VPC             `json:"Vpcs"`
	Subnets         map[string]*Subnet          `json:"Subnets"`
	RouteTables     map[string]*RouteTable      `json:"RouteTables"`
	SecurityGroups  map[string]*SecurityGroup   `json:"SecurityGroups"`
	VpcEndpoints    map[string]*VpcEndpoint     `json:"VpcEndpoints"`
	NetworkACLs     map[string]*NetworkACL      `json:"NetworkAcls"`
	Associations    map[string]*ProfileAssoc    `json:"Associations"` // iip-assoc-... -> association
	InstanceProfile map[string]*InstanceProfile `json:"InstanceProfiles"`
	Roles           map[string]*Role            `json:"Roles"`
	Users           map[string]*User            `json:"Users"`
	Groups          map[string]*Group           `json:"Groups"`
	// Policies holds customer managed policies by ARN. AWS managed policies
	// are built in (managed.go) and need not be listed.
	Policies   map[string]*ManagedPolicy `json:"Policies"`
	AccessKeys map[string]*AccessKey     `json:"AccessKeys"`
	// ServiceSettings by region, then setting id
	// (e.g. /ssm/managed-instance/activation-tier).
	ServiceSettings map[string]map[string]string `json:"ServiceSettings"`
	// SessionPreferences is the account's Session Manager preferences (the
	// SSM-SessionManagerRunShell document's inputs).
	SessionPreferences SessionPreferences `json:"SessionPreferences"`
	KMSKeys            map[string]*KMSKey `json:"KmsKeys"`
	// KeyPairs are the EC2 key pairs by name (ec2_keypairs.go).
	KeyPairs map[string]*KeyPair `json:"KeyPairs"`
}

// Tag is an EC2 tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// Instance is an EC2 instance (i-) or a hybrid managed node (mi-). Hybrid
// nodes never appear in EC2 responses.
type Instance struct {
	ID               string    `json:"InstanceId"`
	Region           string    `json:"Region"`
	State            string    `json:"State"` // pending|running|stopping|stopped|shutting-down|terminated
	InstanceType     string    `json:"InstanceType"`
	ImageID          string    `json:"ImageId"`
	Platform         string    `json:"Platform"`        // "" (Linux/UNIX) or "windows"
	PlatformName     string    `json:"PlatformName"`    // SSM: "Amazon Linux", "Ubuntu", ...
	PlatformVersion  string    `json:"PlatformVersion"` // SSM
	Tags             []Tag     `json:"Tags"`
	PrivateIP        string    `json:"PrivateIpAddress"`
	PrivateDNS       string    `json:"PrivateDnsName"`
	PublicIP         string    `json:"PublicIpAddress"`
	IPv6             string    `json:"Ipv6Address"` // primary IPv6 address, when the subnet has IPv6
	VpcID            string    `json:"VpcId"`
	SubnetID         string    `json:"SubnetId"`
	SecurityGroupIDs []string  `json:"SecurityGroupIds"`
	LaunchTime       time.Time `json:"LaunchTime"`
	// InstanceProfileName is the profile to associate at load time;
	// afterwards the association (State.Associations) is the truth.
	InstanceProfileName string          `json:"InstanceProfileName"`
	Metadata            MetadataOptions `json:"MetadataOptions"`
	Agent               Agent           `json:"Agent"`
	// Ports maps a port on the instance to a real TCP address on this
	// machine: the data channel dials it ("22": "127.0.0.1:2222").
	Ports map[string]string `json:"Ports"`
	// Shell is the program a shell session runs (an absolute path such
	// as /bin/sh); empty, the default, refuses shell sessions
	// (dc_shell.go).
	Shell string `json:"Shell"`
	// RemoteHosts maps a remote host:port the instance can reach (for
	// AWS-StartPortForwardingSessionToRemoteHost) to a real TCP address on
	// this machine ("db.internal:5432": "127.0.0.1:5432"); an unmapped one
	// refuses the connection, as an unreachable remote would.
	RemoteHosts map[string]string `json:"RemoteHosts"`
	// KeyName is the EC2 key pair the instance was launched with; when
	// KeyPairs has it, its public key is in the OS user's authorized_keys
	// (defaultOS), as cloud-init puts it there.
	KeyName string `json:"KeyName"`
	// launchKey is that key pair's public key (normalizeKeyPairs).
	launchKey string
	// OS is what runs inside (oscmd_state.go), for the on-instance
	// script; nil: a healthy image of the platform.
	OS *OSState `json:"Os"`
	// StatusChecks are EC2's system and instance status checks
	// (ec2_status.go); empty: ok while running.
	StatusChecks StatusChecks `json:"StatusChecks"`
}

// StatusChecks are DescribeInstanceStatus's two checks: ok, impaired,
// initializing or insufficient-data.
type StatusChecks struct {
	System   string `json:"System"`
	Instance string `json:"Instance"`
}

// MetadataOptions are the instance metadata service settings.
type MetadataOptions struct {
	HTTPTokens   string `json:"HttpTokens"`   // optional|required
	HTTPEndpoint string `json:"HttpEndpoint"` // enabled|disabled
	HopLimit     int    `json:"HttpPutResponseHopLimit"`
}

// Agent is the SSM Agent as the service sees it.
type Agent struct {
	// Installed false: the node never registers.
	Installed bool   `json:"Installed"`
	Version   string `json:"AgentVersion"`
	IsLatest  bool   `json:"IsLatestVersion"`
	// PingStatus, when set, overrides the computed status (Online when the
	// node is running and can reach SSM with credentials).
	PingStatus   string    `json:"PingStatus"`
	LastPing     time.Time `json:"LastPingDateTime"`
	ComputerName string    `json:"ComputerName"`
	// ActivationID and IamRole are for hybrid (mi-) nodes.
	ActivationID string    `json:"ActivationId"`
	IamRole      string    `json:"IamRole"`
	RegisteredAt time.Time `json:"RegistrationDate"`
}

// VPC is a virtual private cloud.
type VPC struct {
	ID                 string `json:"VpcId"`
	Region             string `json:"Region"`
	CidrBlock          string `json:"CidrBlock"`
	IsDefault          bool   `json:"IsDefault"`
	EnableDNSSupport   bool   `json:"EnableDnsSupport"`
	EnableDNSHostnames bool   `json:"EnableDnsHostnames"`
	Tags               []Tag  `json:"Tags"`
}

// Subnet is a subnet of a VPC.
type Subnet struct {
	ID                  string `json:"SubnetId"`
	VpcID               string `json:"VpcId"`
	Region              string `json:"Region"`
	CidrBlock           string `json:"CidrBlock"`
	AvailabilityZone    string `json:"AvailabilityZone"`
	MapPublicIPOnLaunch bool   `json:"MapPublicIpOnLaunch"`
	Tags                []Tag  `json:"Tags"`
}

// RouteTable holds routes and its subnet associations. Main marks the VPC's
// main table, used by subnets with no explicit association.
type RouteTable struct {
	ID      string   `json:"RouteTableId"`
	VpcID   string   `json:"VpcId"`
	Region  string   `json:"Region"`
	Main    bool     `json:"Main"`
	Subnets []string `json:"SubnetIds"`
	Routes  []Route  `json:"Routes"`
}

// Route is one route; exactly one target field is set ("local" uses
// GatewayID "local").
type Route struct {
	DestinationCidrBlock string `json:"DestinationCidrBlock"`
	GatewayID            string `json:"GatewayId"` // igw-..., local, vgw-...
	NatGatewayID         string `json:"NatGatewayId"`
	TransitGatewayID     string `json:"TransitGatewayId"`
	VpcEndpointID        string `json:"VpcEndpointId"` // gateway endpoints (s3)
	State                string `json:"State"`         // active|blackhole
}

// SecurityGroup with its rules.
type SecurityGroup struct {
	ID          string   `json:"GroupId"`
	Name        string   `json:"GroupName"`
	Description string   `json:"Description"`
	VpcID       string   `json:"VpcId"`
	Region      string   `json:"Region"`
	Ingress     []SGRule `json:"IpPermissions"`
	Egress      []SGRule `json:"IpPermissionsEgress"`
}

// SGRule is one permission. Protocol "-1" means all; ports are inclusive.
type SGRule struct {
	Protocol string   `json:"IpProtocol"`
	FromPort int      `json:"FromPort"`
	ToPort   int      `json:"ToPort"`
	Cidrs    []string `json:"CidrIps"`
	Groups   []string `json:"SourceGroupIds"`
}

// VpcEndpoint is an interface or gateway endpoint.
type VpcEndpoint struct {
	ID                string    `json:"VpcEndpointId"`
	Region            string    `json:"Region"`
	VpcID             string    `json:"VpcId"`
	ServiceName       string    `json:"ServiceName"`     // com.amazonaws.us-east-1.ssm
	Type              string    `json:"VpcEndpointType"` // Interface|Gateway
	State             string    `json:"State"`
	PrivateDNSEnabled bool      `json:"PrivateDnsEnabled"`
	SubnetIDs         []string  `json:"SubnetIds"`
	SecurityGroupIDs  []string  `json:"SecurityGroupIds"`
	RouteTableIDs     []string  `json:"RouteTableIds"`
	CreatedAt         time.Time `json:"CreationTimestamp"`
}

// ProfileAssoc is an IAM instance profile association.
type ProfileAssoc struct {
	ID         string `json:"AssociationId"`
	InstanceID string `json:"InstanceId"`
	ProfileArn string `json:"IamInstanceProfileArn"`
	ProfileID  string `json:"IamInstanceProfileId"`
	State      string `json:"State"` // associating|associated|disassociating|disassociated
}

// InstanceProfile holds at most one role.
type InstanceProfile struct {
	Name      string    `json:"InstanceProfileName"`
	ID        string    `json:"InstanceProfileId"`
	Path      string    `json:"Path"`
	Roles     []string  `json:"Roles"` // role names
	CreatedAt time.Time `json:"CreateDate"`
}

// Role is an IAM role.
type Role struct {
	Name               string            `json:"RoleName"`
	ID                 string            `json:"RoleId"`
	Path               string            `json:"Path"`
	AssumeRolePolicy   string            `json:"AssumeRolePolicyDocument"` // plain JSON
	Description        string            `json:"Description"`
	AttachedPolicies   []string          `json:"AttachedPolicyArns"`
	InlinePolicies     map[string]string `json:"InlinePolicies"` // name -> plain JSON
	PermissionBoundary string            `json:"PermissionsBoundaryArn"`
	Tags               []Tag             `json:"Tags"`
	CreatedAt          time.Time         `json:"CreateDate"`
	MaxSessionDuration int               `json:"MaxSessionDuration"`
}

// User is an IAM user.
type User struct {
	Name               string            `json:"UserName"`
	ID                 string            `json:"UserId"`
	Path               string            `json:"Path"`
	AttachedPolicies   []string          `json:"AttachedPolicyArns"`
	InlinePolicies     map[string]string `json:"InlinePolicies"`
	Groups             []string          `json:"Groups"`
	PermissionBoundary string            `json:"PermissionsBoundaryArn"`
	Tags               []Tag             `json:"Tags"`
	CreatedAt          time.Time         `json:"CreateDate"`
}

// Group is an IAM group.
type Group struct {
	Name             string            `json:"GroupName"`
	ID               string            `json:"GroupId"`
	Path             string            `json:"Path"`
	AttachedPolicies []string          `json:"AttachedPolicyArns"`
	InlinePolicies   map[string]string `json:"InlinePolicies"`
	CreatedAt        time.Time         `json:"CreateDate"`
}

// ManagedPolicy is a managed policy with its versions.
type ManagedPolicy struct {
	Arn              string          `json:"Arn"`
	Name             string          `json:"PolicyName"`
	ID               string          `json:"PolicyId"`
	Path             string          `json:"Path"`
	DefaultVersionID string          `json:"DefaultVersionId"`
	Versions         []PolicyVersion `json:"Versions"`
	CreatedAt        time.Time       `json:"CreateDate"`
	UpdatedAt        time.Time       `json:"UpdateDate"`
	Description      string          `json:"Description"`
}

// PolicyVersion is one version of a managed policy document (plain JSON).
type PolicyVersion struct {
	VersionID string    `json:"VersionId"`
	Document  string    `json:"Document"`
	CreatedAt time.Time `json:"CreateDate"`
}

// AccessKey maps an access key id to a principal. Exactly one of UserName
// or RoleName is set; a RoleName key is an assumed-role session (it needs
// SessionToken, and Expiration limits it).
type AccessKey struct {
	ID           string    `json:"AccessKeyId"`
	Secret       string    `json:"SecretAccessKey"`
	SessionToken string    `json:"SessionToken"`
	UserName     string    `json:"UserName"`
	RoleName     string    `json:"RoleName"`
	SessionName  string    `json:"RoleSessionName"`
	Expiration   time.Time `json:"Expiration"`
	Status       string    `json:"Status"` // Active|Inactive
	// Root marks the account root user's key: everything is allowed.
	Root bool `json:"Root"`
}

// SessionPreferences are the Session Manager preferences.
type SessionPreferences struct {
	KMSKeyID               string `json:"kmsKeyId"`
	S3BucketName           string `json:"s3BucketName"`
	S3EncryptionEnabled    bool   `json:"s3EncryptionEnabled"`
	CloudWatchLogGroupName string `json:"cloudWatchLogGroupName"`
	CloudWatchEncryption   bool   `json:"cloudWatchEncryptionEnabled"`
	RunAsEnabled           bool   `json:"runAsEnabled"`
	RunAsDefaultUser       string `json:"runAsDefaultUser"`
	IdleSessionTimeout     string `json:"idleSessionTimeout"` // minutes
	MaxSessionDuration     string `json:"maxSessionDuration"` // minutes
	ShellProfileLinux      string `json:"shellProfileLinux"`
}

// KMSKey is a symmetric KMS key. Material is generated at load when empty.
type KMSKey struct {
	ID       string `json:"KeyId"`
	Region   string `json:"Region"`
	Material []byte `json:"-"`
}
