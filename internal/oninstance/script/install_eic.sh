#!/bin/sh
# ssmdoctor fix --install-eic, format 1: installs the ec2-instance-connect
# package, whose AuthorizedKeysCommand lets sshd accept the one-time keys
# pushed with SendSSHPublicKey. Nothing is done when it is installed.
#
# Output: "key=value" lines, "ssmdoctor.install-eic=1" first, "end=ok"
# last; on failure an "error=" line and exit status 1.

LC_ALL=C
export LC_ALL
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export PATH

fail() {
	printf 'error=%s\n' "$1"
	exit 1
}

echo "ssmdoctor.install-eic=1"
for c in /opt/aws/bin/eic_run_authorized_keys /usr/share/ec2-instance-connect/eic_run_authorized_keys; do
	if [ -e "$c" ]; then
		echo "result=present"
		echo "end=ok"
		exit 0
	fi
done
if command -v dnf >/dev/null 2>&1; then
	dnf install -y -q ec2-instance-connect >/dev/null 2>&1 || fail "dnf install ec2-instance-connect failed"
elif command -v yum >/dev/null 2>&1; then
	yum install -y -q ec2-instance-connect >/dev/null 2>&1 || fail "yum install ec2-instance-connect failed"
elif command -v apt-get >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive
	export DEBIAN_FRONTEND
	apt-get update -qq >/dev/null 2>&1
	apt-get install -y -qq ec2-instance-connect >/dev/null 2>&1 || fail "apt-get install ec2-instance-connect failed"
else
	fail "no dnf, yum or apt-get: install ec2-instance-connect by hand"
fi
echo "result=installed"
echo "end=ok"
