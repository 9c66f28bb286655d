// The URI fetcher (core/io/fetcher.h) against real files, archives made by the real tools, our
// HttpServer on 127.0.0.1:0 and a TLS server with a certificate made for the test.
#include "core/io/fetcher.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "core/api/fetch_request.h"
#include "core/base/strings.h"
#include "core/io/event_loop.h"
#include "core/io/http_server.h"
#include "core/io/process.h"
#include "tests/io/self_signed.h"

extern char** environ;

namespace atl::io {
namespace {

namespace fs = std::filesystem;
using model::CommandUri;

// ---- helpers ------------------------------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    std::string pattern = StrCat(::testing::TempDir(), "/atoll-fetch-XXXXXX");
    EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  // A new directory below this one.
  std::string Sub(const std::string& name) const {
    std::string dir = StrCat(path_, "/", name);
    fs::create_directories(dir);
    return dir;
  }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& content, mode_t mode = 0644) {
  std::ofstream(path, std::ios::binary) << content;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Files directly in `dir`, sorted.
std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  for (std::string_view dir : Split(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    std::string candidate = StrCat(dir, "/", name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Runs a tool from PATH in `cwd` with this process's environment; its exit code, or -1.
int RunTool(std::vector<std::string> argv, const std::string& cwd) {
  SpawnOptions options;
  options.path = FindOnPath(argv[0]);
  options.argv = std::move(argv);
  for (char** e = environ; *e != nullptr; ++e) options.env.push_back(*e);
  options.cwd = cwd;
  options.new_session = false;
  absl::StatusOr<pid_t> pid = Spawn(options);
  if (!pid.ok()) return -1;
  int status = 0;
  if (::waitpid(*pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define SKIP_WITHOUT(tool)                                                     \
  do {                                                                         \
    if (FindOnPath(tool).empty()) GTEST_SKIP() << tool << " is not installed"; \
  } while (false)

CommandUri Uri(std::string value) {
  CommandUri uri;
  uri.value = std::move(value);
  return uri;
}

// A fetcher setup around a fresh sandbox, recording progress lines.
struct Fetch {
  TempDir dir;
  std::string sandbox = dir.Sub("sandbox");
  std::vector<std::string> lines;
  FetchOptions options;

  Fetch() {
    options.sandbox = sandbox;
    options.progress = [this](std::string_view line) { lines.emplace_back(line); };
  }
  absl::Status Run(std::vector<CommandUri> uris) { return FetchUris(uris, options); }
  std::string InSandbox(const std::string& name) const { return StrCat(sandbox, "/", name); }
};

// A .tar.gz with `files` (name -> content) made by the real `tar`; "" if that failed.
std::string MakeTarGz(const TempDir& dir, const std::string& name,
                      const std::vector<std::pair<std::string, std::string>>& files) {
  std::string src = dir.Sub(StrCat(name, ".src"));
  for (const auto& [file, content] : files) WriteFile(StrCat(src, "/", file), content);
  std::string archive = StrCat(dir.path(), "/", name);
  if (RunTool({"tar", "-czf", archive, "-C", src, "."}, dir.path()) != 0) return "";
  return archive;
}

// ---- local files --------------------------------------------------------------------------

TEST(Fetcher, CopiesALocalFileKeepingItsMode) {
  Fetch f;
  std::string src = StrCat(f.dir.path(), "/config.json");
  WriteFile(src, "{\"a\":1}", 0640);

  ASSERT_TRUE(f.Run({Uri(src)}).ok());

  EXPECT_EQ(ReadFile(f.InSandbox("config.json")), "{\"a\":1}");
  EXPECT_EQ(ModeOf(f.InSandbox("config.json")), 0640u);
  EXPECT_EQ(Listing(f.sandbox), std::vector<std::string>{"config.json"});  // no temp files left
  ASSERT_FALSE(f.lines.empty());
  EXPECT_EQ(f.lines[0], StrCat("Fetching '", src, "' into the sandbox"));
}

TEST(Fetcher, CopiesAFileUrlUnderItsOutputFileName) {
  Fetch f;
  std::string src = StrCat(f.dir.path(), "/data.bin");
  WriteFile(src, std::string("\0\1\2binary", 9));
  CommandUri uri = Uri(StrCat("file://", src));
  uri.output_file = "renamed.bin";

  ASSERT_TRUE(f.Run({uri}).ok());

  EXPECT_EQ(ReadFile(f.InSandbox("renamed.bin")), std::string("\0\1\2binary", 9));
  EXPECT_EQ(Listing(f.sandbox), std::vector<std::string>{"renamed.bin"});
}

TEST(Fetcher, ExecutableGetsMode0755AndIsNeverExtracted) {
  Fetch f;
  std::string src = StrCat(f.dir.path(), "/tool.tar.gz");
  WriteFile(src, "#!/bin/sh\necho hi\n", 0600);
  CommandUri uri = Uri(src);
  uri.executable = true;  // extract stays true (the default): executable wins, as in Mesos

  ASSERT_TRUE(f.Run({uri}).ok());

  EXPECT_EQ(ModeOf(f.InSandbox("tool.tar.gz")), 0755u);
  EXPECT_EQ(ReadFile(f.InSandbox("tool.tar.gz")), "#!/bin/sh\necho hi\n");
}

TEST(Fetcher, MissingFileNamesTheUriAndTheReason) {
  Fetch f;
  absl::Status s = f.Run({Uri("/no/such/file.tgz")});
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "Failed to fetch '/no/such/file.tgz': No such file or directory");
  EXPECT_TRUE(Listing(f.sandbox).empty());
}

TEST(Fetcher, RefusesADirectoryAndUnsupportedSchemes) {
  Fetch f;
  absl::Status dir = f.Run({Uri(f.dir.path())});
  EXPECT_EQ(dir.message(), StrCat("Failed to fetch '", f.dir.path(), "': Is a directory"));

  absl::Status ftp = f.Run({Uri("ftp://example.com/a.tgz")});
  EXPECT_EQ(ftp.message(),
            "Failed to fetch 'ftp://example.com/a.tgz': unsupported URI (expected an absolute "
            "path, file://, http:// or https://)");
  absl::Status relative = f.Run({Uri("relative/a.tgz")});
  EXPECT_EQ(relative.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Listing(f.sandbox).empty());
}

TEST(Fetcher, RefusesOutputFilesThatAreNotPlainNames) {
  Fetch f;
  std::string src = StrCat(f.dir.path(), "/a.txt");
  WriteFile(src, "a");
  for (std::string bad : {"../escape", "sub/file", "/etc/passwd", ".", "..", ""}) {
    CommandUri uri = Uri(src);
    uri.output_file = bad;
    absl::Status s = f.Run({uri});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.message(), StrCat("Failed to fetch '", src, "': output_file '", bad,
                                  "' must be a plain file name (no '/', not '.' or '..')"));
  }
  EXPECT_TRUE(Listing(f.sandbox).empty());
  EXPECT_FALSE(fs::exists(StrCat(f.dir.path(), "/escape")));
}

TEST(Fetcher, NamesFilesAfterTheLastPathSegment) {
  EXPECT_EQ(*FetchedFileName(Uri("http://h:8080/dir/app.tgz?sig=abc#frag")), "app.tgz");
  EXPECT_EQ(*FetchedFileName(Uri("https://h/app")), "app");
  EXPECT_EQ(*FetchedFileName(Uri("/opt/bin/tool")), "tool");
  EXPECT_EQ(*FetchedFileName(Uri("file:///opt/a.zip")), "a.zip");
  for (std::string nameless : {"http://h", "http://h/", "http://h/dir/?x=1", "/opt/dir/"}) {
    absl::StatusOr<std::string> name = FetchedFileName(Uri(nameless));
    ASSERT_FALSE(name.ok()) << nameless;
    EXPECT_EQ(name.status().message(), "cannot derive a file name from the URI; set output_file");
  }
}

// ---- archives -----------------------------------------------------------------------------

TEST(Fetcher, ExtractsATarGzIntoTheSandboxAndKeepsTheArchive) {
  SKIP_WITHOUT("tar");
  Fetch f;
  std::string archive = MakeTarGz(f.dir, "app.tar.gz", {{"run.sh", "echo run"}, {"conf", "x=1"}});
  ASSERT_FALSE(archive.empty());

  ASSERT_TRUE(f.Run({Uri(archive)}).ok());

  EXPECT_EQ(ReadFile(f.InSandbox("run.sh")), "echo run");
  EXPECT_EQ(ReadFile(f.InSandbox("conf")), "x=1");
  EXPECT_TRUE(fs::exists(f.InSandbox("app.tar.gz")));
  EXPECT_EQ(f.lines.back(), "Extracted 'app.tar.gz' into the sandbox");
}

TEST(Fetcher, ExtractFalseKeepsOnlyTheArchive) {
  SKIP_WITHOUT("tar");
  Fetch f;
  std::string archive = MakeTarGz(f.dir, "app.tgz", {{"inside", "1"}});
  ASSERT_FALSE(archive.empty());
  CommandUri uri = Uri(archive);
  uri.extract = false;

  ASSERT_TRUE(f.Run({uri}).ok());

  EXPECT_EQ(Listing(f.sandbox), std::vector<std::string>{"app.tgz"});
}

TEST(Fetcher, ExtractsAZip) {
  SKIP_WITHOUT("unzip");
  SKIP_WITHOUT("python3");
  Fetch f;
  std::string src = f.dir.Sub("zipsrc");
  WriteFile(StrCat(src, "/hello.txt"), "hello from zip");
  std::string archive = StrCat(f.dir.path(), "/bundle.zip");
  ASSERT_EQ(RunTool({"python3", "-m", "zipfile", "-c", archive, "hello.txt"}, src), 0);

  ASSERT_TRUE(f.Run({Uri(archive)}).ok());

  EXPECT_EQ(ReadFile(f.InSandbox("hello.txt")), "hello from zip");
  EXPECT_TRUE(fs::exists(f.InSandbox("bundle.zip")));
}

TEST(Fetcher, ABrokenArchiveNamesTheFileAndTheExitStatus) {
  SKIP_WITHOUT("unzip");
  Fetch f;
  std::string src = StrCat(f.dir.path(), "/a.zip");
  WriteFile(src, "this is not a zip file");

  absl::Status s = f.Run({Uri(src)});

  EXPECT_EQ(s.message(), "Failed to extract 'a.zip': unzip exited with status 9");
}

// ---- cache --------------------------------------------------------------------------------

TEST(Fetcher, ReusesTheCachedCopyAfterTheSourceIsGone) {
  Fetch first;
  std::string cache = first.dir.Sub("cache");
  std::string src = StrCat(first.dir.path(), "/big.bin");
  WriteFile(src, std::string(300000, 'c'), 0640);
  CommandUri uri = Uri(src);
  uri.cache = true;
  first.options.cache_dir = cache;
  ASSERT_TRUE(first.Run({uri}).ok());
  EXPECT_EQ(Listing(cache).size(), 1u);
  ASSERT_TRUE(fs::remove(src));

  Fetch second;
  second.options.cache_dir = cache;
  ASSERT_TRUE(second.Run({uri}).ok());

  EXPECT_EQ(ReadFile(second.InSandbox("big.bin")), std::string(300000, 'c'));
  EXPECT_EQ(ModeOf(second.InSandbox("big.bin")), 0640u);
  EXPECT_NE(std::find(second.lines.begin(), second.lines.end(),
                      StrCat("Using the cached copy of '", src, "'")),
            second.lines.end());
  // Without `cache`, the cache is not consulted.
  Fetch third;
  third.options.cache_dir = cache;
  EXPECT_EQ(third.Run({Uri(src)}).code(), absl::StatusCode::kNotFound);
}

TEST(Fetcher, StopsAtTheFirstFailureKeepingWhatWasFetched) {
  Fetch f;
  std::string a = StrCat(f.dir.path(), "/a.txt");
  std::string c = StrCat(f.dir.path(), "/c.txt");
  WriteFile(a, "a");
  WriteFile(c, "c");

  EXPECT_FALSE(f.Run({Uri(a), Uri("/no/such/b.txt"), Uri(c)}).ok());

  EXPECT_EQ(Listing(f.sandbox), std::vector<std::string>{"a.txt"});
}

// ---- HTTP ---------------------------------------------------------------------------------

// Our HttpServer on 127.0.0.1:0, run by a loop on its own thread while the test fetches.
class FetcherHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    big_ = std::string(3 << 20, '\0');
    for (size_t i = 0; i < big_.size(); ++i) big_[i] = static_cast<char>(i * 7 % 251);
    server_ = std::make_unique<HttpServer>(
        loop_, HttpServer::Options{},
        [this](const HttpRequest& req, std::shared_ptr<HttpResponder> responder) {
          Serve(req, std::move(responder));
        });
    ASSERT_TRUE(server_->Start().ok());
    thread_ = std::thread([this] { loop_.Run(); });
  }

  void TearDown() override {
    loop_.Post([this] {
      held_.clear();
      server_->Stop();
      loop_.Stop();
    });
    thread_.join();
    server_.reset();
  }

  void Serve(const HttpRequest& req, std::shared_ptr<HttpResponder> responder) {
    auto redirect = [&](std::string location) {
      HttpResponse r = HttpResponse::Text(302, "");
      r.headers.emplace_back("Location", std::move(location));
      responder->Respond(std::move(r));
    };
    if (req.path == "/files/big.bin") {
      responder->Respond(HttpResponse{200, {}, big_});
    } else if (req.path == "/files/app.tgz") {
      responder->Respond(HttpResponse{200, {}, archive_});
    } else if (req.path == "/r1") {
      redirect(StrCat("http://127.0.0.1:", server_->port(), "/dir/r2"));
    } else if (req.path == "/dir/r2") {
      redirect("r3");  // relative: /dir/r3
    } else if (req.path == "/dir/r3") {
      redirect("/files/big.bin?from=r3");
    } else if (req.path == "/loop") {
      redirect("/loop");
    } else if (req.path == "/hang") {
      held_.push_back(std::move(responder));  // never answered: the fetcher times out
    } else {
      responder->Respond(HttpResponse::Text(404, "no such file\n"));
    }
  }

  std::string Url(std::string_view path) const {
    return StrCat("http://127.0.0.1:", server_->port(), path);
  }

  EventLoop loop_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::string big_;
  std::string archive_;  // set before fetching it; read on the loop thread afterwards only
  std::vector<std::shared_ptr<HttpResponder>> held_;
};

TEST_F(FetcherHttp, StreamsADownloadIntoTheSandbox) {
  Fetch f;
  ASSERT_TRUE(f.Run({Uri(Url("/files/big.bin?version=3"))}).ok());
  EXPECT_EQ(ReadFile(f.InSandbox("big.bin")) == big_, true);
  EXPECT_EQ(ModeOf(f.InSandbox("big.bin")), 0644u);
  EXPECT_EQ(Listing(f.sandbox), std::vector<std::string>{"big.bin"});
}

TEST_F(FetcherHttp, FollowsAbsoluteAndRelativeRedirects) {
  Fetch f;
  CommandUri uri = Uri(Url("/r1"));
  uri.output_file = "followed.bin";
  ASSERT_TRUE(f.Run({uri}).ok());
  EXPECT_EQ(ReadFile(f.InSandbox("followed.bin")) == big_, true);
}

TEST_F(FetcherHttp, GivesUpAfterFiveRedirects) {
  Fetch f;
  absl::Status s = f.Run({Uri(Url("/loop"))});
  EXPECT_EQ(s.message(), StrCat("Failed to fetch '", Url("/loop"), "': more than 5 redirects"));
  EXPECT_TRUE(Listing(f.sandbox).empty());
}

TEST_F(FetcherHttp, ANonSuccessStatusNamesTheUriAndTheStatus) {
  Fetch f;
  absl::Status s = f.Run({Uri(Url("/missing.tgz"))});
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), StrCat("Failed to fetch '", Url("/missing.tgz"), "': HTTP 404 Not Found"));
  EXPECT_TRUE(Listing(f.sandbox).empty());
}

TEST_F(FetcherHttp, DownloadsExtractsAndCaches) {
  SKIP_WITHOUT("tar");
  Fetch f;
  std::string archive = MakeTarGz(f.dir, "app.tgz", {{"bin.sh", "echo served"}});
  ASSERT_FALSE(archive.empty());
  archive_ = ReadFile(archive);
  CommandUri uri = Uri(Url("/files/app.tgz"));
  uri.cache = true;
  f.options.cache_dir = StrCat(f.dir.path(), "/cache");  // created on first use

  ASSERT_TRUE(f.Run({uri}).ok());
  EXPECT_EQ(ReadFile(f.InSandbox("bin.sh")), "echo served");
  EXPECT_EQ(Listing(f.options.cache_dir).size(), 1u);
}

TEST_F(FetcherHttp, ConnectionFailuresAndTimeoutsNameTheUri) {
  Fetch f;
  f.options.timeout = Duration::Milliseconds(300);
  absl::Status hang = f.Run({Uri(Url("/hang"))});
  EXPECT_EQ(hang.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(hang.message(), StrCat("Failed to fetch '", Url("/hang"), "': timed out after 300ms"));

  // A port nobody listens on: bind one, then close it.
  uint16_t closed_port;
  {
    EventLoop other;
    HttpServer probe(other, {}, [](const HttpRequest&, std::shared_ptr<HttpResponder>) {});
    ASSERT_TRUE(probe.Start().ok());
    closed_port = probe.port();
  }
  absl::Status refused = f.Run({Uri(StrCat("http://127.0.0.1:", closed_port, "/a.tgz"))});
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(refused.message().find("Connection refused"), absl::string_view::npos)
      << refused.message();
}

// ---- HTTPS --------------------------------------------------------------------------------

// A self-signed certificate for IP 127.0.0.1 (PEM certificate, PEM key).
std::pair<std::string, std::string> MakeCertificate() {
  return test_util::SelfSignedCertificate(
      "atoll test",
      {{NID_subject_alt_name, "IP:127.0.0.1"}, {NID_basic_constraints, "critical,CA:TRUE"}});
}

// Answers one TLS connection on 127.0.0.1:0 with `body`, on a thread of its own.
class TlsServer {
 public:
  TlsServer(const std::string& cert, const std::string& key, std::string body)
      : tls_(boost::asio::ssl::context::tls_server), acceptor_(context_), body_(std::move(body)) {
    tls_.use_certificate_chain(boost::asio::buffer(cert));
    tls_.use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem);
    boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { ServeOne(); });
  }
  ~TlsServer() {
    // Wakes a blocked accept() if the client never came.
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  void ServeOne() {
    boost::system::error_code ec;
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream(context_, tls_);
    acceptor_.accept(stream.next_layer(), ec);
    if (ec) return;
    stream.handshake(boost::asio::ssl::stream_base::server, ec);
    if (ec) return;  // the client refused our certificate
    boost::asio::streambuf request;
    boost::asio::read_until(stream, request, "\r\n\r\n", ec);
    if (ec) return;
    std::string response = StrCat("HTTP/1.1 200 OK\r\nContent-Length: ", body_.size(),
                                  "\r\nConnection: close\r\n\r\n", body_);
    boost::asio::write(stream, boost::asio::buffer(response), ec);
    stream.shutdown(ec);
  }

  boost::asio::io_context context_;
  boost::asio::ssl::context tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::string body_;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST(FetcherHttps, DownloadsFromAServerWithATrustedCertificate) {
  auto [cert, key] = MakeCertificate();
  Fetch f;
  f.options.ca_file = StrCat(f.dir.path(), "/ca.pem");
  WriteFile(f.options.ca_file, cert);
  TlsServer server(cert, key, "secret payload");

  ASSERT_TRUE(f.Run({Uri(StrCat("https://127.0.0.1:", server.port(), "/s/payload.txt"))}).ok());

  EXPECT_EQ(ReadFile(f.InSandbox("payload.txt")), "secret payload");
}

TEST(FetcherHttps, RefusesAnUntrustedCertificate) {
  auto [cert, key] = MakeCertificate();
  Fetch f;  // the system's trust store does not know our certificate
  TlsServer server(cert, key, "never sent");
  std::string url = StrCat("https://127.0.0.1:", server.port(), "/payload.txt");

  absl::Status s = f.Run({Uri(url)});

  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(StartsWith(std::string_view(s.message().data(), s.message().size()),
                         StrCat("Failed to fetch '", url, "': TLS handshake: certificate verify")))
      << s.message();
  EXPECT_TRUE(Listing(f.sandbox).empty());
}

// ---- as another user ----------------------------------------------------------------------

// Runs FetchUrisAsUser as "nobody" in a child process (it changes credentials for good) and
// exits 0 on success, else 1 after printing the error.
void FetchAsNobodyAndExit(const std::vector<CommandUri>& uris, const FetchOptions& options) {
  absl::Status s = FetchUrisAsUser(uris, options);
  if (!s.ok()) {
    std::cerr << s.message() << std::endl;
    std::_Exit(1);
  }
  std::_Exit(0);
}

TEST(FetcherAsUser, ReadsAsTheUserAndLeavesTheUserOwningTheFiles) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  // "fast" (fork): the child must see this test's directories, not make its own.
  const std::string style = GTEST_FLAG_GET(death_test_style);
  GTEST_FLAG_SET(death_test_style, "fast");
  absl::Cleanup restore = [&] { GTEST_FLAG_SET(death_test_style, style); };
  const passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no user 'nobody'";
  const uid_t nobody_uid = nobody->pw_uid;
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  std::string sandbox = dir.Sub("sandbox");
  std::string cache = StrCat(dir.path(), "/cache");
  std::string readable = StrCat(dir.path(), "/readable.txt");
  std::string secret = StrCat(dir.path(), "/secret.txt");
  WriteFile(readable, "for everyone", 0644);
  WriteFile(secret, "root only", 0600);
  FetchOptions options;
  options.sandbox = sandbox;
  options.cache_dir = cache;
  options.user = "nobody";
  CommandUri cached = Uri(readable);
  cached.cache = true;

  EXPECT_EXIT(FetchAsNobodyAndExit({cached}, options), ::testing::ExitedWithCode(0), "");
  struct stat st {};
  ASSERT_EQ(::stat(sandbox.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody_uid);
  ASSERT_EQ(::stat(StrCat(sandbox, "/readable.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody_uid);
  ASSERT_EQ(::stat(StrCat(cache, "/nobody").c_str(), &st), 0);  // the user's own cache
  EXPECT_EQ(st.st_uid, nobody_uid);
  EXPECT_EQ(Listing(StrCat(cache, "/nobody")).size(), 1u);

  EXPECT_EXIT(FetchAsNobodyAndExit({Uri(secret)}, options), ::testing::ExitedWithCode(1),
              "Failed to fetch '.*/secret.txt': Permission denied");
  EXPECT_FALSE(fs::exists(StrCat(sandbox, "/secret.txt")));
}

TEST(FetcherAsUser, ChownsTheSandboxWhenRootFetchesForAUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  Fetch f;
  std::string src = StrCat(f.dir.path(), "/a.txt");
  WriteFile(src, "a");
  f.options.user = "nobody";

  ASSERT_TRUE(f.Run({Uri(src)}).ok());

  const passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  struct stat st {};
  ASSERT_EQ(::lstat(f.InSandbox("a.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody->pw_uid);
  ASSERT_EQ(::lstat(f.sandbox.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody->pw_uid);
}

// ---- the request codec --------------------------------------------------------------------

TEST(FetchRequestJson, RoundTripsAndNamesBadFields) {
  api::FetchRequest request;
  request.sandbox = "/w/runs/c1";
  request.cache_dir = "/w/fetch-cache";
  request.user = "alice";
  request.timeout = Duration::Seconds(90);
  CommandUri uri = Uri("http://x/app.tgz");
  uri.cache = true;
  uri.output_file = "app.tgz";
  CommandUri tool = Uri("/opt/tool");
  tool.executable = true;
  tool.extract = false;
  request.uris = {uri, tool};

  std::string json = api::SerializeFetchRequest(request);
  absl::StatusOr<api::FetchRequest> back = api::ParseFetchRequest(json);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, request);

  absl::StatusOr<api::FetchRequest> minimal =
      api::ParseFetchRequest(R"({"sandbox":"/s","uris":[{"value":"/a"}]})");
  ASSERT_TRUE(minimal.ok());
  EXPECT_TRUE(minimal->uris[0].extract);  // Mesos's default
  EXPECT_FALSE(minimal->user.has_value());

  EXPECT_EQ(api::ParseFetchRequest(R"({"uris":[]})").status().message(), "sandbox: required");
  EXPECT_EQ(
      api::ParseFetchRequest(R"({"sandbox":"/s","uris":[{"extract":true}]})").status().message(),
      "uris[0].value: required");
  EXPECT_EQ(
      api::ParseFetchRequest(R"({"sandbox":"/s","timeout":{"nanoseconds":0}})").status().message(),
      "timeout: must be positive");
}

}  // namespace
}  // namespace atl::io
