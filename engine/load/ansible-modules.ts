/**
 * Names of Ansible modules: those of ansible-core 2.19 and the collection
 * modules public roles call most (and any module named with its collection).
 * A task naming one that hoist does not
 * implement still loads (roles carry tasks for other systems behind `when:`);
 * it fails, saying so, only on a host that reaches it. A name on no list is a
 * typo: the loader refuses it with the nearest valid name.
 */

/** ansible.builtin's modules (ansible-core 2.19). */
const BUILTIN = `add_host apt apt_key apt_repository assemble assert async_status blockinfile command copy cron deb822_repository debconf debug dnf
dnf5 dpkg_selections expect fail fetch file find gather_facts get_url getent git group group_by hostname iptables known_hosts lineinfile meta
mount_facts package package_facts pause ping pip raw reboot replace rpm_key script service service_facts set_fact set_stats setup shell slurp stat
subversion systemd systemd_service sysvinit tempfile template unarchive uri user validate_argument_spec wait_for wait_for_connection yum_repository`;

/** Collection modules that popular roles use (community.general, ansible.posix, community.crypto, …), by short name. */
const COLLECTIONS = `mount authorized_key sysctl selinux seboolean firewalld ufw modprobe timezone locale_gen alternatives ini_file pacman zypper
zypper_repository homebrew homebrew_cask apk pkgng openbsd_pkg portage snap flatpak flatpak_remote npm gem pip_package_info docker_container
docker_image docker_network docker_compose_v2 mysql_user mysql_db postgresql_user postgresql_db postgresql_privs openssl_privatekey
openssl_csr x509_certificate openssh_keypair acl synchronize at cron_file pam_limits make archive xml json_query lvg lvol filesystem parted
capabilities seport sefcontext mail slack nmcli interfaces_file hostname_ctl runit launchd win_service win_package win_feature win_shell
win_command win_copy win_file win_template win_regedit win_chocolatey chocolatey k8s helm helm_repository kubectl yum pkg5 pkgin pkgutil
svr4pkg slackpkg urpmi xbps macports homebrew_tap opkg portinstall installp swdepot sorcery openssl_dhparam openssl_certificate
get_certificate x509_crl community_general docker_compose podman_container podman_image rhsm_repository redhat_subscription dnf_config_manager
yum_versionlock dnf_versionlock seboolean selinux_permissive sefcontext jenkins_plugin jenkins_script mysql_info mysql_replication
mysql_variables postgresql_query postgresql_ext postgresql_schema postgresql_set rabbitmq_user rabbitmq_vhost rabbitmq_plugin`;

/**
 * A module named with its collection (`ansible.mysql.mysql_info`): Galaxy's collections are too many to list, so any
 * full name outside ansible.builtin loads and fails where reached; ansible.builtin's names are checked against the list.
 */
const COLLECTION_MODULE = /^(?!ansible\.(builtin|legacy)\.)[a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+$/;

const KNOWN = new Set(`${BUILTIN} ${COLLECTIONS}`.split(/\s+/).filter(Boolean));

/**
 * True when `name` (short, or with its collection) is a module Ansible users call.
 *
 * @example
 * isAnsibleModule("ansible.builtin.dnf") // true
 * isAnsibleModule("pakage")              // false
 */
export function isAnsibleModule(name: string): boolean {
  if (COLLECTION_MODULE.test(name)) return true;
  const short = name.replace(/^[a-z0-9_]+\.[a-z0-9_]+\./, "");
  return (
    KNOWN.has(short) && (short === name || /^(ansible\.(builtin|legacy|posix|windows)|community\.[a-z0-9_]+|kubernetes\.core|containers\.podman)\./.test(name))
  );
}
