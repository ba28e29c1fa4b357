// rediss://: TLS to a real redis-server with a test CA. The certificate is
// checked against the configured host name (even when connecting by IP
// address), and there is no silent "skip verify".
#include <yooni/redis/connection.hpp>
#include <yooni/resp/encoder.hpp>

#include "support/asio_run.hpp"
#include "support/redis_server.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace yooni::redis {
namespace {

using namespace std::chrono_literals;

// A CA and a server certificate for "cache.internal" and "localhost", made with openssl(1).
class TestPki {
public:
    TestPki() {
        const auto d = dir_.path();
        std::ofstream{d + "/san.ext"} << "subjectAltName=DNS:cache.internal,DNS:localhost\n";
        ok({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", d + "/ca.key", "-out", d + "/ca.crt", "-days", "2", "-subj", "/CN=yooni-test-ca"});
        ok({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            d + "/server.key", "-out", d + "/server.csr", "-subj", "/CN=cache.internal"});
        ok({"openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey", d + "/ca.key",
            "-CAcreateserial", "-out", d + "/server.crt", "-days", "2", "-extfile", d + "/san.ext"});
    }
    std::string path(const std::string& name) const { return dir_.path() + "/" + name; }

private:
    static void ok(const std::vector<std::string>& argv) {
        auto r = test::run_command(argv);
        if (r.exit_code != 0) throw std::runtime_error("openssl failed: " + r.err);
    }
    test::TempDir dir_;
};

class TlsTest : public ::testing::Test {
protected:
    TlsTest()
        : tls_port_(test::free_port()),
          server_{{.extra_args = {"--tls-port", std::to_string(tls_port_), "--tls-cert-file", pki_.path("server.crt"),
                                  "--tls-key-file", pki_.path("server.key"), "--tls-ca-cert-file", pki_.path("ca.crt"),
                                  "--tls-auth-clients", "no"}}} {}

    result<OwnedReply> ping(TlsOptions tls) {
        ConnectionOptions o;
        o.host = "127.0.0.1";
        o.port = tls_port_;
        o.tls = std::move(tls);
        auto c = Connection::create(ioc_.get_executor(), o);
        std::string cmd;
        resp::append_command(cmd, {"PING"});
        auto r = test::run_on(ioc_, c->execute_one(cmd, std::chrono::steady_clock::now() + 3s));
        c->close();
        return r;
    }

    TestPki pki_;
    std::uint16_t tls_port_;
    test::RedisServer server_;
    boost::asio::io_context ioc_;
};

TEST_F(TlsTest, ConnectsWhenTheCertificateMatchesTheConfiguredName) {
    auto r = ping({.enabled = true, .ca_file = pki_.path("ca.crt"), .server_name = "cache.internal"});
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ((*r)->as_string(), "PONG");
}

TEST_F(TlsTest, RefusesACertificateForAnotherName) {
    auto r = ping({.enabled = true, .ca_file = pki_.path("ca.crt"), .server_name = "other.example"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(errc::connect_failed));
}

TEST_F(TlsTest, RefusesAnIpAddressTheCertificateDoesNotName) {
    // No server name: the host connected to (127.0.0.1) must be in the certificate, and it is not.
    auto r = ping({.enabled = true, .ca_file = pki_.path("ca.crt"), .server_name = ""});
    ASSERT_FALSE(r);
}

TEST_F(TlsTest, RefusesAnUnknownAuthority) {
    auto r = ping({.enabled = true, .ca_file = "", .server_name = "cache.internal"});  // the system store
    ASSERT_FALSE(r);
}

}  // namespace
}  // namespace yooni::redis
