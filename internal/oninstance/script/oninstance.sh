#!/bin/sh
# ssmdoctor on-instance check, format 1. Read-only: it writes no file,
# starts and stops nothing, and prints key fingerprints, never keys.
#
# Usage: sh oninstance.sh OSUSER PORT [SSHD_CONFIG]
#
# Output: one "key=value" line per fact, "ssmdoctor.oninstance=1" first and
# "end=ok" last; a key may repeat (one line per item); values are one line,
# control characters removed. Runs under POSIX sh (dash, busybox ash, bash).

LC_ALL=C
export LC_ALL
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export PATH

emit() {
	printf '%s=%s\n' "$1" "$(printf '%s' "$2" | tr -d '\000-\037\177')"
}

have() { command -v "$1" >/dev/null 2>&1; }

echo "ssmdoctor.oninstance=1"
if [ $# -lt 2 ]; then
	emit error "usage: oninstance.sh OSUSER PORT [SSHD_CONFIG]"
	echo "end=ok"
	exit 0
fi
user=$1
port=$2
config=${3:-/etc/ssh/sshd_config}
case $port in
'' | *[!0-9]*)
	emit error "the port must be a number"
	echo "end=ok"
	exit 0
	;;
esac
emit arg.user "$user"
emit arg.port "$port"
emit arg.config "$config"
emit clock.epoch "$(date +%s)"
emit uid "$(id -u)"

# --- sshd: running, listening, effective settings ---

running=no
for f in /proc/[0-9]*/comm; do
	[ -r "$f" ] || continue
	read -r comm <"$f" 2>/dev/null || continue
	if [ "$comm" = sshd ]; then
		running=yes
		break
	fi
done
emit sshd.running "$running"

# listening: ss, else netstat, else /proc/net/tcp (the port in hex).
if have ss; then
	emit listen.via ss
	ss -ltn 2>/dev/null | awk -v p=":$port" 'NR > 1 { a = $4; if (substr(a, length(a) - length(p) + 1) == p) print a }' |
		while read -r a; do emit listen.addr "$a"; done
elif have netstat; then
	emit listen.via netstat
	netstat -ltn 2>/dev/null | awk -v p=":$port" '$1 ~ /^tcp/ && $6 == "LISTEN" { a = $4; if (substr(a, length(a) - length(p) + 1) == p) print a }' |
		while read -r a; do emit listen.addr "$a"; done
elif [ -r /proc/net/tcp ]; then
	emit listen.via proc
	hex=$(printf '%04X' "$port")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v h=":$hex" '$4 == "0A" { a = $2; if (substr(a, length(a) - 4) == h) print a }' |
		while read -r a; do emit listen.addr "$a"; done
else
	emit listen.via none
fi

sshd=
for c in /usr/sbin/sshd /usr/bin/sshd /usr/local/sbin/sshd /usr/local/bin/sshd; do
	if [ -x "$c" ]; then
		sshd=$c
		break
	fi
done
[ -n "$sshd" ] || sshd=$(command -v sshd 2>/dev/null)
emit sshd.path "${sshd:-none}"
if [ -n "$sshd" ]; then
	emit sshd.version "$("$sshd" -V 2>&1 | grep OpenSSH | head -n 1)"
fi
emit sshd.config.exists "$([ -e "$config" ] && echo yes || echo no)"

# The settings sshd applies to this user on a Session Manager connection
# (from localhost), Match blocks included.
akfiles=".ssh/authorized_keys .ssh/authorized_keys2"
if [ -n "$sshd" ]; then
	if out=$("$sshd" -T -f "$config" -C "user=$user,host=localhost,addr=127.0.0.1,laddr=127.0.0.1,lport=$port" 2>&1); then
		emit sshd.test ok
		printf '%s\n' "$out" | while read -r k v; do
			case $k in
			port | listenaddress | pubkeyauthentication | authorizedkeysfile | authorizedkeyscommand | \
				authorizedkeyscommanduser | allowusers | denyusers | allowgroups | denygroups | \
				permitrootlogin | strictmodes | usepam | passwordauthentication)
				emit "sshd.opt.$k" "$v"
				;;
			esac
		done
		v=$(printf '%s\n' "$out" | awk '$1 == "authorizedkeysfile" { $1 = ""; sub(/^ /, ""); print; exit }')
		[ -n "$v" ] && akfiles=$v
		# The host's public keys (what known_hosts must hold), fingerprints only.
		if have ssh-keygen; then
			printf '%s\n' "$out" | awk '$1 == "hostkey" { print $2 }' | while read -r hk; do
				[ -r "$hk.pub" ] || continue
				ssh-keygen -lf "$hk.pub" 2>/dev/null | awk '{ t = $NF; gsub(/[()]/, "", t); print $2 " " t }' |
					while read -r fp; do emit hostkey "$fp"; done
			done
		fi
	else
		emit sshd.test fail
		emit sshd.test.error "$(printf '%s\n' "$out" | grep -v '^$' | head -n 1 | cut -c1-300)"
	fi
fi

# --- the OS user ---

pw=
if have getent; then
	pw=$(getent passwd "$user" 2>/dev/null | head -n 1)
elif [ -r /etc/passwd ]; then
	pw=$(awk -F: -v u="$user" '$1 == u { print; exit }' /etc/passwd)
fi
home=
uid=
if [ -n "$pw" ]; then
	emit user.exists yes
	uid=$(printf '%s' "$pw" | cut -d: -f3)
	home=$(printf '%s' "$pw" | cut -d: -f6)
	emit user.uid "$uid"
	emit user.gid "$(printf '%s' "$pw" | cut -d: -f4)"
	emit user.home "$home"
	emit user.shell "$(printf '%s' "$pw" | cut -d: -f7)"
	emit user.groups "$(id -Gn "$user" 2>/dev/null)"
else
	emit user.exists no
fi

# mode, owner uid and owner name, as sshd's StrictModes sees them.
statline() {
	stat -c '%a %u %U' "$1" 2>/dev/null
}

# expand PATH USER HOME UID: sshd's %h %u %U %% tokens; a relative path
# is relative to the home directory.
expand() {
	p=$1 out=
	while :; do
		case $p in
		*%*)
			out=$out${p%%\%*}
			p=${p#*\%}
			case $p in
			h*) out=$out$3 ;;
			u*) out=$out$2 ;;
			U*) out=$out$4 ;;
			%*) out=$out% ;;
			*) out=$out%${p%"${p#?}"} ;;
			esac
			p=${p#?}
			;;
		*)
			out=$out$p
			break
			;;
		esac
	done
	case $out in
	/*) ;;
	*) out=$3/$out ;;
	esac
	printf '%s' "$out"
}

if [ -n "$home" ]; then
	if [ -d "$home" ]; then
		emit home.stat "$(statline "$home")"
	else
		emit home.stat missing
	fi
	if [ -d "$home/.ssh" ]; then
		emit sshdir.stat "$(statline "$home/.ssh")"
	else
		emit sshdir.stat missing
	fi
	for f in $akfiles; do
		[ "$f" = none ] && continue
		path=$(expand "$f" "$user" "$home" "$uid")
		emit akf.path "$path"
		if [ ! -e "$path" ]; then
			emit akf.stat missing
			continue
		fi
		emit akf.stat "$(statline "$path")"
		if have ssh-keygen; then
			ssh-keygen -lf "$path" 2>/dev/null | awk '{ t = $NF; gsub(/[()]/, "", t); print $2 " " t }' |
				while read -r fp; do emit akf.key "$fp"; done
		else
			emit akf.error "ssh-keygen not found"
		fi
	done
fi

# --- EC2 Instance Connect ---

eic=none
for c in /opt/aws/bin/eic_run_authorized_keys /usr/share/ec2-instance-connect/eic_run_authorized_keys; do
	if [ -e "$c" ]; then
		eic=$c
		break
	fi
done
emit eic.command "$eic"
pkg=unknown
if have rpm; then
	rpm -q ec2-instance-connect >/dev/null 2>&1 && pkg=installed || pkg=absent
elif have dpkg-query; then
	case $(dpkg-query -W -f '${Status}' ec2-instance-connect 2>/dev/null) in
	*" installed") pkg=installed ;;
	*) pkg=absent ;;
	esac
fi
emit eic.package "$pkg"

# --- the SSM Agent's own log: recent errors, token-like strings redacted ---

log=none
for c in /var/log/amazon/ssm/errors.log /var/log/amazon/ssm/amazon-ssm-agent.log; do
	if [ -s "$c" ]; then
		log=$c
		break
	fi
done
emit agent.log "$log"
if [ "$log" != none ]; then
	grep ' ERROR ' "$log" 2>/dev/null | tail -n 5 | cut -c1-300 | sed \
		-e 's/[A-Za-z0-9+_=]\{24,\}/[redacted]/g' \
		-e 's/\([Tt][Oo][Kk][Ee][Nn][A-Za-z_]*"\{0,1\} *[:=] *\)[^ ,;]*/\1[redacted]/g' \
		-e 's/\([Ss][Ee][Cc][Rr][Ee][Tt][A-Za-z_]*"\{0,1\} *[:=] *\)[^ ,;]*/\1[redacted]/g' \
		-e 's/\([Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]"\{0,1\} *[:=] *\)[^ ,;]*/\1[redacted]/g' \
		-e 's/\([Ss][Ii][Gg][Nn][Aa][Tt][Uu][Rr][Ee]"\{0,1\} *[:=] *\)[^ ,;]*/\1[redacted]/g' \
		-e 's/\([Cc][Rr][Ee][Dd][Ee][Nn][Tt][Ii][Aa][Ll][A-Za-z_]*"\{0,1\} *[:=] *\)[^ ,;]*/\1[redacted]/g' |
		while IFS= read -r l; do emit agent.error "$l"; done
fi

# --- disk: use% and free KiB of / and /var ---

df -P -k / /var 2>/dev/null | awk 'NR > 1 { u = $5; sub(/%/, "", u); print $6 " " u " " $4 }' |
	while read -r d; do emit disk "$d"; done

echo "end=ok"
