package awsfacts

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// describeInstanceInformationPage is the API's maximum page size, and also
// the most ids its InstanceIds filter takes.
const describeInstanceInformationPage = 50

// Service setting ids.
const (
	SettingDHMCRole       = "/ssm/managed-instance/default-ec2-instance-management-role"
	SettingActivationTier = "/ssm/managed-instance/activation-tier"
)

type instanceInfoRec struct {
	info *ssmtypes.InstanceInformation // nil: not registered
}

// InstanceInformation is the node's registration with Systems Manager, or
// nil when it is not a managed node.
func (e *AWSEnv) InstanceInformation(ctx context.Context, id string) (*ssmtypes.InstanceInformation, error) {
	rec, err := e.info.get(ctx, id, func() (*instanceInfoRec, error) {
		m, _, err := e.fetchInstanceInfo(ctx, []string{id})
		if err != nil {
			return nil, err
		}
		return &instanceInfoRec{info: m[id]}, nil
	})
	if err != nil {
		return nil, err
	}
	return rec.info, nil
}

// fetchInstanceInfo asks for ids in batches of the filter's limit, several
// batches at a time.
func (e *AWSEnv) fetchInstanceInfo(ctx context.Context, ids []string) (info map[string]*ssmtypes.InstanceInformation, answered map[string]bool, err error) {
	info, answered = map[string]*ssmtypes.InstanceInformation{}, map[string]bool{}
	var mu sync.Mutex
	err = eachChunk(chunks(ids, describeInstanceInformationPage), func(chunk []string) error {
		p := ssm.NewDescribeInstanceInformationPaginator(e.ssm, &ssm.DescribeInstanceInformationInput{
			Filters:    []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("InstanceIds"), Values: chunk}},
			MaxResults: aws.Int32(describeInstanceInformationPage),
		})
		got := map[string]*ssmtypes.InstanceInformation{}
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return callErr("ssm:DescribeInstanceInformation", err)
			}
			for i := range page.InstanceInformationList {
				ii := &page.InstanceInformationList[i]
				got[aws.ToString(ii.InstanceId)] = ii
			}
		}
		// Only a chunk read to its end says which of its ids are not
		// registered.
		mu.Lock()
		defer mu.Unlock()
		for _, id := range chunk {
			answered[id] = true
			if ii, ok := got[id]; ok {
				info[id] = ii
			}
		}
		return nil
	})
	return info, answered, err
}

// ServiceSetting returns a Systems Manager service setting's value; "" when
// the setting was never changed from its unset default.
func (e *AWSEnv) ServiceSetting(ctx context.Context, id string) (string, error) {
	return e.settings.get(ctx, id, func() (string, error) {
		out, err := e.ssm.GetServiceSetting(ctx, &ssm.GetServiceSettingInput{SettingId: aws.String(id)})
		if err != nil {
			if ErrorCode(err) == "ServiceSettingNotFound" {
				return "", nil
			}
			return "", callErr("ssm:GetServiceSetting", err)
		}
		if out.ServiceSetting == nil {
			return "", nil
		}
		return aws.ToString(out.ServiceSetting.SettingValue), nil
	})
}

// SessionPreferences are the account's Session Manager preferences, read
// from the SSM-SessionManagerRunShell document.
type SessionPreferences struct {
	Exists                 bool // false: never configured, AWS defaults apply
	KMSKeyID               string
	S3BucketName           string
	S3EncryptionEnabled    bool
	CloudWatchLogGroupName string
	CloudWatchEncryption   bool
	RunAsEnabled           bool
	RunAsDefaultUser       string
	IdleSessionTimeout     string // minutes
	MaxSessionDuration     string // minutes
}

const preferencesDocument = "SSM-SessionManagerRunShell"

// SessionPreferences reads the account's Session Manager preferences;
// never configured is not an error (Exists false).
func (e *AWSEnv) SessionPreferences(ctx context.Context) (*SessionPreferences, error) {
	return e.prefs.get(ctx, "", func() (*SessionPreferences, error) {
		out, err := e.ssm.GetDocument(ctx, &ssm.GetDocumentInput{Name: aws.String(preferencesDocument)})
		if err != nil {
			if ErrorCode(err) == "InvalidDocument" {
				return &SessionPreferences{}, nil
			}
			return nil, callErr("ssm:GetDocument", err)
		}
		p, err := parsePreferences(aws.ToString(out.Content))
		if err != nil {
			return nil, callErr("ssm:GetDocument", err)
		}
		return p, nil
	})
}

func parsePreferences(content string) (*SessionPreferences, error) {
	var doc struct {
		Inputs map[string]any `json:"inputs"`
	}
	if err := json.Unmarshal([]byte(content), &doc); err != nil {
		return nil, fmt.Errorf("parse %s content: %w", preferencesDocument, err)
	}
	in := doc.Inputs
	str := func(k string) string {
		switch v := in[k].(type) {
		case string:
			return v
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			return strconv.FormatBool(v)
		}
		return ""
	}
	flag := func(k string) bool { b, _ := strconv.ParseBool(str(k)); return b }
	return &SessionPreferences{
		Exists:                 true,
		KMSKeyID:               str("kmsKeyId"),
		S3BucketName:           str("s3BucketName"),
		S3EncryptionEnabled:    flag("s3EncryptionEnabled"),
		CloudWatchLogGroupName: str("cloudWatchLogGroupName"),
		CloudWatchEncryption:   flag("cloudWatchEncryptionEnabled"),
		RunAsEnabled:           flag("runAsEnabled"),
		RunAsDefaultUser:       str("runAsDefaultUser"),
		IdleSessionTimeout:     str("idleSessionTimeout"),
		MaxSessionDuration:     str("maxSessionDuration"),
	}, nil
}

// ConnectionStatus is Session Manager's "connected" or "notconnected".
func (e *AWSEnv) ConnectionStatus(ctx context.Context, id string) (string, error) {
	return e.connStatus.get(ctx, id, func() (string, error) {
		out, err := e.ssm.GetConnectionStatus(ctx, &ssm.GetConnectionStatusInput{Target: aws.String(id)})
		if err != nil {
			return "", callErr("ssm:GetConnectionStatus", err)
		}
		return string(out.Status), nil
	})
}

// KMSKeyArn is the preferences' KMS key (an ARN, "alias/name" or a key
// id) as an ARN in the account and region.
func KMSKeyArn(partition, region, account, id string) string {
	switch {
	case strings.HasPrefix(id, "arn:"):
		return id
	case strings.HasPrefix(id, "alias/"):
		return fmt.Sprintf("arn:%s:kms:%s:%s:%s", partition, region, account, id)
	}
	return fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", partition, region, account, id)
}
