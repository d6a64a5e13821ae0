#!/bin/sh
# ssmdoctor fix --authorize-key, format 1: adds one public key to the OS
# user's authorized keys file (the first AuthorizedKeysFile sshd applies to
# the user), creating ~/.ssh (0700) and the file (0600) owned by the user.
# A key already there (same type and base64) is left alone: running it
# twice adds one line.
#
# Usage: sh authorize_key.sh OSUSER 'TYPE BASE64 [COMMENT]' [SSHD_CONFIG]
#
# Output: "key=value" lines, "ssmdoctor.authorize-key=1" first, "end=ok"
# last; on failure an "error=" line and exit status 1.

LC_ALL=C
export LC_ALL
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export PATH
umask 077
set -f

fail() {
	printf 'error=%s\n' "$1"
	exit 1
}

echo "ssmdoctor.authorize-key=1"
[ $# -ge 2 ] || fail "usage: authorize_key.sh OSUSER 'TYPE BASE64 [COMMENT]' [SSHD_CONFIG]"
user=$1
key=$2
config=${3:-/etc/ssh/sshd_config}
set -- $key
ktype=$1
kblob=$2
case $ktype in
ssh-ed25519 | ssh-rsa | ecdsa-sha2-nistp256 | ecdsa-sha2-nistp384 | ecdsa-sha2-nistp521 | sk-ssh-ed25519@openssh.com | sk-ecdsa-sha2-nistp256@openssh.com) ;;
*) fail "not a public key line: unknown key type" ;;
esac
case $kblob in
'' | *[!A-Za-z0-9+/=]*) fail "not a public key line: the key is not base64" ;;
esac

pw=$(getent passwd "$user" 2>/dev/null | head -n 1)
[ -n "$pw" ] || pw=$(awk -F: -v u="$user" '$1 == u { print; exit }' /etc/passwd 2>/dev/null)
[ -n "$pw" ] || fail "no such user: $user"
uid=$(printf '%s' "$pw" | cut -d: -f3)
gid=$(printf '%s' "$pw" | cut -d: -f4)
home=$(printf '%s' "$pw" | cut -d: -f6)

# The first file sshd reads for this user, as sshd -T resolves it.
akf=.ssh/authorized_keys
for c in /usr/sbin/sshd /usr/bin/sshd /usr/local/sbin/sshd; do
	[ -x "$c" ] || continue
	v=$("$c" -T -f "$config" -C "user=$user,host=localhost,addr=127.0.0.1" 2>/dev/null | awk '$1 == "authorizedkeysfile" { print $2; exit }')
	[ -n "$v" ] && [ "$v" != none ] && akf=$v
	break
done
p=$akf path=
while :; do
	case $p in
	*%*)
		path=$path${p%%\%*}
		p=${p#*\%}
		case $p in
		h*) path=$path$home ;;
		u*) path=$path$user ;;
		U*) path=$path$uid ;;
		*) path=$path% ;;
		esac
		p=${p#?}
		;;
	*)
		path=$path$p
		break
		;;
	esac
done
case $path in
/*) ;;
*) path=$home/$path ;;
esac
printf 'path=%s\n' "$path"

dir=${path%/*}
if [ ! -d "$dir" ]; then
	mkdir -m 700 "$dir" || fail "could not create $dir"
	chown "$uid:$gid" "$dir" || fail "could not give $dir to $user"
	echo "created=$dir"
fi
case $dir in
*/.ssh)
	chmod 700 "$dir" || fail "could not set the mode of $dir"
	chown "$uid:$gid" "$dir" || fail "could not give $dir to $user"
	;;
esac

if [ -f "$path" ] && awk -v b="$kblob" '{ for (i = 1; i <= NF; i++) if ($i == b) found = 1 } END { exit !found }' "$path"; then
	echo "result=present"
else
	# A file without a final newline would glue the new key to its last line.
	if [ -s "$path" ] && [ -n "$(tail -c 1 "$path")" ]; then
		echo >>"$path" || fail "could not write $path"
	fi
	printf '%s\n' "$key" >>"$path" || fail "could not write $path"
	echo "result=added"
fi
chmod 600 "$path" || fail "could not set the mode of $path"
chown "$uid:$gid" "$path" || fail "could not give $path to $user"
echo "end=ok"
