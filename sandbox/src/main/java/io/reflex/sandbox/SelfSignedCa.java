package io.reflex.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority made for one test, with the JDK's own {@code keytool}: a CA, a server key
 * and certificate for {@code 127.0.0.1} signed by it (in a PKCS12 keystore, with the chain), and a
 * PKCS12 truststore that holds only the CA. Valid for two days.
 *
 * @param keystore the server's keystore
 * @param keystorePassword its password (and the key's)
 * @param truststore the clients' truststore
 * @param truststorePassword its password
 */
public record SelfSignedCa(
        Path keystore, String keystorePassword, Path truststore, String truststorePassword) {

    /** Generates the CA, the server's keystore and the truststore in {@code dir}. */
    public static SelfSignedCa generate(
            Path dir, String keystorePassword, String truststorePassword)
            throws IOException, InterruptedException {
        dir = Files.createDirectories(dir).toAbsolutePath();
        Path ca = dir.resolve("ca.p12");
        Path server = dir.resolve("server.p12");
        Path trust = dir.resolve("truststore.p12");
        String p = keystorePassword;
        keytool(
                dir,
                "-genkeypair",
                "-alias",
                "ca",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-dname",
                "CN=reflex-test-ca",
                "-ext",
                "bc:c",
                "-validity",
                "2",
                "-keystore",
                ca.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                p);
        keytool(
                dir,
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-dname",
                "CN=127.0.0.1",
                "-validity",
                "2",
                "-keystore",
                server.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                p);
        keytool(
                dir,
                "-certreq",
                "-alias",
                "server",
                "-keystore",
                server.toString(),
                "-storepass",
                p,
                "-file",
                dir.resolve("server.csr").toString());
        keytool(
                dir,
                "-gencert",
                "-alias",
                "ca",
                "-keystore",
                ca.toString(),
                "-storepass",
                p,
                "-infile",
                dir.resolve("server.csr").toString(),
                "-outfile",
                dir.resolve("server.crt").toString(),
                "-ext",
                "SAN=IP:127.0.0.1",
                "-validity",
                "2",
                "-rfc");
        keytool(
                dir,
                "-exportcert",
                "-alias",
                "ca",
                "-keystore",
                ca.toString(),
                "-storepass",
                p,
                "-rfc",
                "-file",
                dir.resolve("ca.crt").toString());
        keytool(
                dir,
                "-importcert",
                "-alias",
                "ca",
                "-file",
                dir.resolve("ca.crt").toString(),
                "-keystore",
                server.toString(),
                "-storepass",
                p,
                "-noprompt");
        keytool(
                dir,
                "-importcert",
                "-alias",
                "server",
                "-file",
                dir.resolve("server.crt").toString(),
                "-keystore",
                server.toString(),
                "-storepass",
                p,
                "-noprompt");
        keytool(
                dir,
                "-importcert",
                "-alias",
                "ca",
                "-file",
                dir.resolve("ca.crt").toString(),
                "-keystore",
                trust.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                truststorePassword,
                "-noprompt");
        return new SelfSignedCa(server, keystorePassword, trust, truststorePassword);
    }

    /** A server-side TLS context with the keystore's key and certificate chain. */
    public javax.net.ssl.SSLContext serverContext()
            throws java.security.GeneralSecurityException, IOException {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(keystore)) {
            ks.load(in, keystorePassword.toCharArray());
        }
        javax.net.ssl.KeyManagerFactory kmf =
                javax.net.ssl.KeyManagerFactory.getInstance(
                        javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, keystorePassword.toCharArray());
        javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        return ssl;
    }

    private static void keytool(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p =
                new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed:\n" + out);
        }
    }
}
