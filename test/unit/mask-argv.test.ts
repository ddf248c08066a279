import { describe, expect, it } from 'vitest';
import { maskArgv } from '../../src/audit/mask-argv.ts';

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

describe('built-in argv masking (SPEC §13)', () => {
  it.each([
    [['psql', '--password', 'hunter2', 'db'], ['psql', '--password', '****', 'db']],
    [['psql', '--password=hunter2'], ['psql', '--password=****']],
    [['tool', '--db-passwd', 'x', '--client-secret=y', '--api-token', 'z', '-key', 'k'], ['tool', '--db-passwd', '****', '--client-secret=****', '--api-token', '****', '-key', '****']],
    [['env', 'DB_PASSWORD=hunter2', 'API_KEY=abc', 'cmd'], ['env', 'DB_PASSWORD=****', 'API_KEY=****', 'cmd']],
    [['curl', '-H', 'Authorization: Bearer abc.def', 'https://x'], ['curl', '-H', 'Authorization: Bearer ****', 'https://x']],
    [['curl', '--header=authorization: basic dXNlcjpwYXNz'], ['curl', '--header=authorization: basic ****']],
    [['curl', '-H', 'Authorization:', 'Bearer', 'abc'], ['curl', '-H', 'Authorization:', 'Bearer', '****']],
    [['psql', 'postgres://app:hunter2@db.prod:5432/x'], ['psql', 'postgres://app:****@db.prod:5432/x']],
    [['git', 'clone', 'https://user:ghp_abc@github.com/o/r'], ['git', 'clone', 'https://user:****@github.com/o/r']],
    [['kubectl', `--as-token=${JWT}`], ['kubectl', '--as-token=****']],
    [["curl", "-d", `assertion=${JWT}&x=1`], ["curl", "-d", "assertion=****&x=1"]],
    [['echo', 'plain', '--context=prod', 'https://example.com/a'], ['echo', 'plain', '--context=prod', 'https://example.com/a']],
  ])('%j', (argv, masked) => {
    expect(maskArgv(argv)).toEqual(masked);
  });

  it('masks a token guard holds wherever it appears', () => {
    expect(maskArgv(['curl', '-H', 'X-Api: opaque-access-token-123', 'u'], ['opaque-access-token-123'])).toEqual(['curl', '-H', 'X-Api: ****', 'u']);
  });
});

/**
 * Command lines from each wrapped tool's own documentation (issue 24), as
 * the shell hands them to guard: what must be masked, and what must stay
 * (the audit log is worth reading only if it keeps what is not secret).
 */
describe('the secret forms of the tools guard wraps (SPEC §13 v3)', () => {
  const table: Array<[string, string[], string[]]> = [
    // psql and libpq connection strings — postgresql.org/docs/current/libpq-connect.html
    ['psql: password= in a connection string', ['psql', 'host=localhost port=5432 dbname=mydb connect_timeout=10 password=s3cr3t'], ['psql', 'host=localhost port=5432 dbname=mydb connect_timeout=10 password=****']],
    ['psql: a quoted password= in a connection string', ['psql', "host=db password='a b c' dbname=x"], ['psql', 'host=db password=**** dbname=x']],
    ['psql: a URI password holding / and @', ['psql', 'postgresql://app:pa/ss@word@db.example.com:5432/mydb'], ['psql', 'postgresql://app:****@db.example.com:5432/mydb']],
    ['a URL password of every character userinfo allows', ['git', 'clone', "https://u:p!$&'()*+,;=:%2Fx@git.example.com/o/r"], ['git', 'clone', 'https://u:****@git.example.com/o/r']],
    ['psql: white space around = in a conninfo', ['psql', 'host=db password = hunter2 dbname=x'], ['psql', 'host=db password = **** dbname=x']],
    ['psql: white space after = in a conninfo', ['psql', 'host=db password= hunter2 dbname=x'], ['psql', 'host=db password= **** dbname=x']],
    ['psql: a quoted conninfo password with a backslash-escaped quote', ['psql', "host=db password='it\\'s secret pw' dbname=x"], ['psql', 'host=db password=**** dbname=x']],
    ['psql: an unquoted conninfo password with an escaped space', ['psql', 'host=db password=a\\ b dbname=x'], ['psql', 'host=db password=**** dbname=x']],
    ['psql: a conninfo password holding ;', ['psql', 'password=abc;def host=db'], ['psql', 'password=**** host=db']],
    ['ADO.NET: Password= runs to ;', ['sqlcmd', 'Server=db;Database=x;User Id=sa;Password=my SECRET pw;Encrypt=yes'], ['sqlcmd', 'Server=db;Database=x;User Id=sa;Password=****;Encrypt=yes']],
    ['ADO.NET: Password= last, no ;', ['sqlcmd', 'Server=db;Password=my SECRET pw'], ['sqlcmd', 'Server=db;Password=****']],
    ['ADO.NET: a quoted Password= holding ;', ['sqlcmd', 'Server=db;Password="a;b ""c""";Encrypt=yes'], ['sqlcmd', 'Server=db;Password=****;Encrypt=yes']],
    ['psql: a URI password holding ?', ['psql', 'postgres://bob:pa?ss@db/x'], ['psql', 'postgres://bob:****@db/x']],
    ['psql: a URI password holding #', ['psql', 'postgresql://bob:pa#ss@db:5432/x?sslmode=require'], ['psql', 'postgresql://bob:****@db:5432/x?sslmode=require']],
    ['psql: a URI password in the query', ['psql', 'postgresql://db.example.com/mydb?user=app&password=s3cr3t'], ['psql', 'postgresql://db.example.com/mydb?user=app&password=****']],
    ['psql: -p is the port', ['psql', '-h', 'db', '-U', 'app', '-p', '5432', 'mydb'], ['psql', '-h', 'db', '-U', 'app', '-p', '5432', 'mydb']],
    ['psql: a connection string without a secret', ['psql', 'service=myservice sslmode=require'], ['psql', 'service=myservice sslmode=require']],
    // kubectl — kubernetes.io/docs/reference/kubectl/generated/kubectl_create/kubectl_create_secret_generic/
    ['kubectl create secret generic --from-literal', ['kubectl', 'create', 'secret', 'generic', 'db-user-pass', '--from-literal=username=admin', "--from-literal=password=S!B\\*d$zDsb="], ['kubectl', 'create', 'secret', 'generic', 'db-user-pass', '--from-literal=username=admin', '--from-literal=password=****']],
    ['kubectl create secret docker-registry', ['kubectl', 'create', 'secret', 'docker-registry', 'my-secret', '--docker-server=registry.example.com', '--docker-username=ci', '--docker-password=hunter2', '--docker-email=ci@example.com'], ['kubectl', 'create', 'secret', 'docker-registry', 'my-secret', '--docker-server=registry.example.com', '--docker-username=ci', '--docker-password=****', '--docker-email=ci@example.com']],
    ['kubectl config set-credentials', ['kubectl', 'config', 'set-credentials', 'cluster-admin', '--username=admin', '--password=uXFGweU9l35qcif'], ['kubectl', 'config', 'set-credentials', 'cluster-admin', '--username=admin', '--password=****']],
    ['kubectl --token TOKEN', ['kubectl', '--token', 'opaque-bearer', 'get', 'pods'], ['kubectl', '--token', '****', 'get', 'pods']],
    ['kubectl: a plain command', ['kubectl', 'get', 'pods', '--context=prod-eu', '-n', 'payments'], ['kubectl', 'get', 'pods', '--context=prod-eu', '-n', 'payments']],
    // helm — helm.sh/docs/helm/helm_install/
    ['helm --set a.password= (and what follows it in the word)', ['helm', 'install', 'myredis', './redis', '--set', 'auth.password=s3cr3t,image.tag=7'], ['helm', 'install', 'myredis', './redis', '--set', 'auth.password=****']],
    ['helm --set=db.password=', ['helm', 'upgrade', 'app', './chart', '--set=db.password=s3cr3t'], ['helm', 'upgrade', 'app', './chart', '--set=db.password=****']],
    ['helm --set-string a.token=', ['helm', 'upgrade', 'app', './chart', '--set-string', 'api.token=abc123'], ['helm', 'upgrade', 'app', './chart', '--set-string', 'api.token=****']],
    ['helm --set without a secret', ['helm', 'install', '--set', 'name=prod', '--set', 'image.tag=1.2.3', 'myredis', './redis'], ['helm', 'install', '--set', 'name=prod', '--set', 'image.tag=1.2.3', 'myredis', './redis']],
    ['helm registry login --password-stdin', ['helm', 'registry', 'login', '-u', 'myuser', '--password-stdin', 'localhost:5000'], ['helm', 'registry', 'login', '-u', 'myuser', '--password-stdin', 'localhost:5000']],
    // terraform — developer.hashicorp.com/terraform/language/values/variables
    ['terraform -var=db_password=', ['terraform', 'apply', '-var=db_password=s3cr3t'], ['terraform', 'apply', '-var=db_password=****']],
    ['terraform -var db_password=', ['terraform', 'apply', '-var', 'db_password=s3cr3t'], ['terraform', 'apply', '-var', 'db_password=****']],
    ['terraform -var without a secret', ['terraform', 'apply', '-var=image_id=ami-abc123', '-var=instance_type=t2.micro'], ['terraform', 'apply', '-var=image_id=ami-abc123', '-var=instance_type=t2.micro']],
    // mysql — dev.mysql.com/doc/refman/8.0/en/connecting.html
    ['mysql -pPASSWORD', ['mysql', '-h', 'localhost', '-u', 'myname', '-ppassword', 'mydb'], ['mysql', '-h', 'localhost', '-u', 'myname', '-p****', 'mydb']],
    ['mysql --password=', ['mysql', '--host=localhost', '--user=myname', '--password=password', 'mydb'], ['mysql', '--host=localhost', '--user=myname', '--password=****', 'mydb']],
    ['mysql -p alone asks; the next word is the database', ['mysql', '-u', 'myname', '-p', 'mydb'], ['mysql', '-u', 'myname', '-p', 'mydb']],
    ['mariadb -pPASSWORD', ['/usr/bin/mariadb', '-uroot', '-pS3cret'], ['/usr/bin/mariadb', '-uroot', '-p****']],
    // curl — curl.se/docs/manpage.html
    ['curl -u user:password', ['curl', '-u', 'name:passwd', 'https://example.com'], ['curl', '-u', 'name:****', 'https://example.com']],
    ['curl -uuser:password and --user=', ['curl', '-uname:passwd', '--user=daniel:secret', 'ftp://example.com/'], ['curl', '-uname:****', '--user=daniel:****', 'ftp://example.com/']],
    ['curl -U proxy user:password', ['curl', '-U', 'proxyuser:proxypassword', '-x', 'proxy', 'curl.se'], ['curl', '-U', 'proxyuser:****', '-x', 'proxy', 'curl.se']],
    ['curl -u user (curl asks)', ['curl', '-u', 'name', 'https://example.com'], ['curl', '-u', 'name', 'https://example.com']],
    ['curl Authorization: Token', ['curl', '-H', 'Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b', 'https://api.example.com/'], ['curl', '-H', 'Authorization: Token ****', 'https://api.example.com/']],
    ['curl Authorization without a scheme', ['curl', '--header', 'authorization:abc123'], ['curl', '--header', 'authorization:****']],
    ['curl X-Api-Key and X-Auth-Token', ['curl', '-H', 'X-Api-Key: abcdef12345', '--header=X-Auth-Token: t0k3n', 'https://api.example.com/'], ['curl', '-H', 'X-Api-Key: ****', '--header=X-Auth-Token: ****', 'https://api.example.com/']],
    ['curl X-Api-Key split into words', ['curl', '-H', 'X-Api-Key:', 'abcdef12345'], ['curl', '-H', 'X-Api-Key:', '****']],
    ['curl a Cookie', ['curl', '-H', 'Cookie: session=abc123', 'https://example.com'], ['curl', '-H', 'Cookie: ****', 'https://example.com']],
    ['curl -d password=', ['curl', '-d', 'user=bob&password=s3cr3t', 'https://example.com/login'], ['curl', '-d', 'user=bob&password=****', 'https://example.com/login']],
    ['curl ?access_token= in a URL', ['curl', 'https://api.example.com/v1?access_token=abc&x=1'], ['curl', 'https://api.example.com/v1?access_token=****']],
    ['curl: plain headers and a port', ['curl', '-H', 'Accept: application/json', 'https://example.com:8443/a'], ['curl', '-H', 'Accept: application/json', 'https://example.com:8443/a']],
    // aws — docs.aws.amazon.com/cli/latest/reference/configure/set.html, secretsmanager create-secret
    ['aws configure set aws_secret_access_key', ['aws', 'configure', 'set', 'aws_secret_access_key', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'], ['aws', 'configure', 'set', 'aws_secret_access_key', '****']],
    ['aws configure set region', ['aws', 'configure', 'set', 'region', 'us-west-2'], ['aws', 'configure', 'set', 'region', 'us-west-2']],
    ['aws --secret-string', ['aws', 'secretsmanager', 'create-secret', '--name', 'MyTestSecret', '--secret-string', '{"user":"diegor","password":"EXAMPLE-PASSWORD"}'], ['aws', 'secretsmanager', 'create-secret', '--name', 'MyTestSecret', '--secret-string', '****']],
    ['aws --web-identity-token', ['aws', 'sts', 'assume-role-with-web-identity', '--role-arn', 'arn:aws:iam::123456789012:role/x', '--web-identity-token', 'opaque'], ['aws', 'sts', 'assume-role-with-web-identity', '--role-arn', 'arn:aws:iam::123456789012:role/x', '--web-identity-token', '****']],
    // docker — docs.docker.com/reference/cli/docker/login/
    ['docker login -p', ['docker', 'login', '-u', 'foo', '-p', 'bar', 'registry.example.com'], ['docker', 'login', '-u', 'foo', '-p', '****', 'registry.example.com']],
    ['docker login --password', ['docker', 'login', '--username', 'foo', '--password', 'bar'], ['docker', 'login', '--username', 'foo', '--password', '****']],
    ['docker login --password-stdin', ['docker', 'login', '--username', 'foo', '--password-stdin', 'registry.example.com'], ['docker', 'login', '--username', 'foo', '--password-stdin', 'registry.example.com']],
    ['docker run -p is a port', ['docker', 'run', '-p', '8080:80', 'nginx'], ['docker', 'run', '-p', '8080:80', 'nginx']],
    // redis-cli — redis.io/docs/latest/develop/tools/cli/
    ['redis-cli -a', ['redis-cli', '-h', 'host', '-a', 'mypassword', 'ping'], ['redis-cli', '-h', 'host', '-a', '****', 'ping']],
    // git — git-scm.com/docs/git-config#Documentation/git-config.txt-httpextraHeader
    ['git http.extraHeader Authorization', ['git', '-c', 'http.extraHeader=Authorization: Token abc', 'clone', 'https://x.example.com/r'], ['git', '-c', 'http.extraHeader=Authorization: Token ****', 'clone', 'https://x.example.com/r']],
    // SPEC §13 says "contains": a name with "key" in it is masked, whatever it holds.
    ['--key-file and keyboard= (names containing key)', ['tool', '--key-file=/etc/x.pem', 'keyboard=us'], ['tool', '--key-file=****', 'keyboard=****']],
  ];
  it.each(table)('%s', (_what, argv, masked) => {
    expect(maskArgv(argv)).toEqual(masked);
  });
});

