// FilesApi (the agent's Mesos /files endpoints) over a real temporary directory tree.
#include "core/io/files_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/base/strings.h"
#include "core/io/http_server.h"
#include "tests/io/io_test_util.h"

namespace atl::io {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "TOP SECRET";

// A fresh tree per test:
//   base/secret.txt                 "TOP SECRET" (outside the sandbox)
//   base/sandbox-evil/x.txt         a sibling whose name extends the sandbox's
//   base/sandbox/stdout             "hello world\n", mode 0644
//   base/sandbox/sub/a.txt          "a"
//   base/sandbox/link_in  -> stdout (stays inside)
//   base/sandbox/link_out -> base/secret.txt
//   base/sandbox/link_dir_out -> base
//   base/sandbox/link_sibling -> base/sandbox-evil/x.txt
// with base/sandbox attached as "/sb".
class FilesApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = ::testing::TempDir();
    if (dir.empty() || dir.back() != '/') dir.push_back('/');
    std::string pattern = StrCat(dir, "files_api_XXXXXX");
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    base_ = pattern;
    sandbox_ = base_ + "/sandbox";
    std::filesystem::create_directories(sandbox_ + "/sub");
    std::filesystem::create_directories(base_ + "/sandbox-evil");
    Write(base_ + "/secret.txt", kSecret);
    Write(base_ + "/sandbox-evil/x.txt", kSecret);
    Write(sandbox_ + "/stdout", "hello world\n");
    ASSERT_EQ(::chmod((sandbox_ + "/stdout").c_str(), 0644), 0);
    Write(sandbox_ + "/sub/a.txt", "a");
    std::filesystem::create_symlink("stdout", sandbox_ + "/link_in");
    std::filesystem::create_symlink(base_ + "/secret.txt", sandbox_ + "/link_out");
    std::filesystem::create_symlink(base_, sandbox_ + "/link_dir_out");
    std::filesystem::create_symlink(base_ + "/sandbox-evil/x.txt", sandbox_ + "/link_sibling");
    ASSERT_TRUE(files_.Attach("/sb", sandbox_).ok());
  }

  void TearDown() override { std::filesystem::remove_all(base_); }

  static void Write(const std::string& path, std::string_view content) {
    std::ofstream out(path, std::ios::binary);
    out << content;
  }

  // Runs `target` through the handler as the server would hand it over.
  HttpResponse Get(std::string target, std::string method = "GET") {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    ParseTarget(request.target, &request.path, &request.query, &request.query_params);
    EXPECT_TRUE(files_.Handles(request.target)) << request.target;
    return files_.Handle(request);
  }

  // A request that must be refused without a byte of the secret in the answer.
  void ExpectRefused(const std::string& target, int status) {
    HttpResponse response = Get(target);
    EXPECT_EQ(response.status, status) << target << " -> " << response.body;
    EXPECT_THAT(response.body, Not(HasSubstr(kSecret))) << target;
  }

  std::string base_;
  std::string sandbox_;
  FilesApi files_;
};

TEST_F(FilesApiTest, HandlesOnlyItsFourEndpoints) {
  EXPECT_TRUE(files_.Handles("/files/browse?path=/sb"));
  EXPECT_TRUE(files_.Handles("/files/read"));
  EXPECT_TRUE(files_.Handles("/files/download?path=x"));
  EXPECT_TRUE(files_.Handles("/files/debug"));
  EXPECT_FALSE(files_.Handles("/files/browse.json"));
  EXPECT_FALSE(files_.Handles("/files"));
  EXPECT_FALSE(files_.Handles("/files/readx"));
  EXPECT_FALSE(files_.Handles("/state"));
}

TEST_F(FilesApiTest, BrowsesADirectorySortedWithLsStyleEntries) {
  HttpResponse response = Get("/files/browse?path=/sb");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(*response.Header("Content-Type"), "application/json");
  struct stat st {};
  ASSERT_EQ(::stat((sandbox_ + "/stdout").c_str(), &st), 0);
  EXPECT_THAT(response.body,
              HasSubstr(StrCat(R"("mode":"-rw-r--r--","mtime":)", st.st_mtime,
                               R"(,"nlink":1,"path":"/sb/stdout","size":12,"uid":)")));
  EXPECT_THAT(response.body, HasSubstr(R"("path":"/sb/sub")"));
  EXPECT_THAT(response.body, HasSubstr(R"({"gid":)"));
  // Sorted on path; "." and ".." are not listed.
  const size_t link_in = response.body.find("\"/sb/link_in\"");
  const size_t stdout_pos = response.body.find("\"/sb/stdout\"");
  const size_t sub = response.body.find("\"/sb/sub\"");
  ASSERT_NE(link_in, std::string::npos);
  EXPECT_LT(link_in, stdout_pos);
  EXPECT_LT(stdout_pos, sub);
  EXPECT_THAT(response.body, Not(HasSubstr("\"/sb/.\"")));
  EXPECT_EQ(response.body.front(), '[');
  EXPECT_EQ(response.body.back(), ']');
}

TEST_F(FilesApiTest, BrowseShowsSymlinksInsideAsTheirTargetAndOthersAsLinks) {
  HttpResponse response = Get("/files/browse?path=/sb");
  ASSERT_EQ(response.status, 200);
  // link_in -> stdout: followed, so a 12-byte regular file.
  EXPECT_THAT(response.body, HasSubstr(R"("mode":"-rw-r--r--")"));
  EXPECT_THAT(response.body, HasSubstr(R"("path":"/sb/link_in","size":12,)"));
  // link_out leaves the sandbox: the link itself (its size is the target's name length), so
  // nothing about the secret file shows.
  EXPECT_THAT(response.body, HasSubstr(StrCat(R"("path":"/sb/link_out","size":)",
                                              (base_ + "/secret.txt").size())));
  EXPECT_THAT(response.body, HasSubstr(R"("mode":"lrwxrwxrwx")"));
}

TEST_F(FilesApiTest, BrowsesASubdirectoryAndASingleFile) {
  HttpResponse dir = Get("/files/browse?path=/sb/sub/");
  ASSERT_EQ(dir.status, 200);
  EXPECT_THAT(dir.body, HasSubstr(R"("path":"/sb/sub/a.txt","size":1,)"));
  HttpResponse file = Get("/files/browse?path=/sb//stdout");
  ASSERT_EQ(file.status, 200);
  EXPECT_THAT(file.body, HasSubstr(R"("path":"/sb/stdout","size":12,)"));
  EXPECT_EQ(file.body.find("},{"), std::string::npos) << "one entry: " << file.body;
}

TEST_F(FilesApiTest, ReadsAWindowAtAnOffset) {
  HttpResponse response = Get("/files/read?path=/sb/stdout&offset=6&length=5");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, R"({"data":"world","offset":6})");
  // Without a length: to the end of the file.
  EXPECT_EQ(Get("/files/read?path=/sb/stdout&offset=6").body, R"({"data":"world\n","offset":6})");
  EXPECT_EQ(Get("/files/read?path=/sb/stdout&offset=0&length=0").body, R"({"data":"","offset":0})");
}

TEST_F(FilesApiTest, ReportsTheSizeForOffsetMinusOneOrNoOffset) {
  EXPECT_EQ(Get("/files/read?path=/sb/stdout").body, R"({"data":"","offset":12})");
  EXPECT_EQ(Get("/files/read?path=/sb/stdout&offset=-1").body, R"({"data":"","offset":12})");
  EXPECT_EQ(Get("/files/read?path=/sb/stdout&offset=-1&length=4").body,
            R"({"data":"","offset":12})");
  // At or past the end: no data, and the offset says where the end is.
  EXPECT_EQ(Get("/files/read?path=/sb/stdout&offset=100&length=4").body,
            R"({"data":"","offset":12})");
}

TEST_F(FilesApiTest, CapsTheReadWindow) {
  files_ = FilesApi(FilesApi::Options{.max_read_bytes = 4});
  ASSERT_TRUE(files_.Attach("/sb", sandbox_).ok());
  EXPECT_EQ(Get("/files/read?path=/sb/stdout&offset=0&length=100").body,
            R"({"data":"hell","offset":0})");
  EXPECT_EQ(Get("/files/read?path=/sb/stdout&offset=6").body, R"({"data":"worl","offset":6})");
}

TEST_F(FilesApiTest, DoesNotCutAMultiByteCharacterAtTheEndOfTheWindow) {
  Write(sandbox_ + "/utf8", "a\xC3\xA9");  // "aé"
  EXPECT_EQ(Get("/files/read?path=/sb/utf8&offset=0&length=2").body, R"({"data":"a","offset":0})");
  EXPECT_EQ(Get("/files/read?path=/sb/utf8&offset=1&length=2").body,
            "{\"data\":\"\xC3\xA9\",\"offset\":1}");
  // A window holding only part of a character still moves forward (as U+FFFD).
  EXPECT_EQ(Get("/files/read?path=/sb/utf8&offset=1&length=1").body,
            "{\"data\":\"\xEF\xBF\xBD\",\"offset\":1}");
}

TEST_F(FilesApiTest, RejectsBadReadParameters) {
  EXPECT_EQ(Get("/files/read?path=/sb/stdout&offset=abc").status, 400);
  EXPECT_EQ(Get("/files/read?path=/sb/stdout&offset=-2").status, 400);
  EXPECT_EQ(Get("/files/read?path=/sb/stdout&length=-5").status, 400);
  EXPECT_EQ(Get("/files/read?path=/sb/stdout&length=1x").status, 400);
  HttpResponse missing = Get("/files/read?offset=0");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body, "Expecting 'path=value' in query.\n");
  EXPECT_EQ(Get("/files/browse?path=").status, 400);
  EXPECT_EQ(Get("/files/download").status, 400);
}

TEST_F(FilesApiTest, DownloadsRawBytesAsAnAttachment) {
  Write(sandbox_ + "/bin", std::string("\x00\x01\xFF", 3));
  HttpResponse response = Get("/files/download?path=/sb/bin");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, std::string("\x00\x01\xFF", 3));
  EXPECT_EQ(*response.Header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(*response.Header("Content-Disposition"), "attachment; filename=\"bin\"");
  // Through a symlink inside the sandbox: named after the file itself, like Mesos.
  HttpResponse linked = Get("/files/download?path=/sb/link_in");
  ASSERT_EQ(linked.status, 200);
  EXPECT_EQ(linked.body, "hello world\n");
  EXPECT_EQ(*linked.Header("Content-Disposition"), "attachment; filename=\"stdout\"");
}

TEST_F(FilesApiTest, DownloadNamesCannotInjectHeaders) {
  Write(sandbox_ + "/a\"b\r\nX: y", "z");
  HttpResponse response = Get("/files/download?path=/sb/a%22b%0D%0AX:%20y");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(*response.Header("Content-Disposition"),
            "attachment; filename=\"a_b__X: y\"; filename*=UTF-8''a%22b%0D%0AX%3A%20y");
}

TEST_F(FilesApiTest, RefusesDownloadsOverTheLimit) {
  files_ = FilesApi(FilesApi::Options{.max_download_bytes = 4});
  ASSERT_TRUE(files_.Attach("/sb", sandbox_).ok());
  HttpResponse response = Get("/files/download?path=/sb/stdout");
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(response.body, HasSubstr("/files/read"));
  EXPECT_EQ(Get("/files/download?path=/sb/sub/a.txt").status, 200);
}

TEST_F(FilesApiTest, AnswersNotFound) {
  EXPECT_EQ(Get("/files/read?path=/sb/missing").status, 404);
  EXPECT_EQ(Get("/files/browse?path=/sb/missing").status, 404);
  EXPECT_EQ(Get("/files/download?path=/sb/missing").status, 404);
  EXPECT_EQ(Get("/files/read?path=/nothing/attached").status, 404);
  EXPECT_EQ(Get("/files/read?path=/sb/stdout/below-a-file").status, 404);
  EXPECT_EQ(Get("/files/read?path=/").status, 404);
}

TEST_F(FilesApiTest, RefusesToReadOrDownloadADirectory) {
  HttpResponse read = Get("/files/read?path=/sb/sub");
  EXPECT_EQ(read.status, 400);
  EXPECT_EQ(read.body, "Cannot read a directory.\n");
  EXPECT_EQ(Get("/files/read?path=/sb").status, 400);
  HttpResponse download = Get("/files/download?path=/sb/sub");
  EXPECT_EQ(download.status, 400);
  EXPECT_EQ(download.body, "Cannot download a directory.\n");
}

TEST_F(FilesApiTest, RefusesSpecialFilesWithoutOpeningThem) {
  // Opening a FIFO for reading would block the loop until a writer shows up.
  ASSERT_EQ(::mkfifo((sandbox_ + "/fifo").c_str(), 0644), 0);
  EXPECT_EQ(Get("/files/read?path=/sb/fifo&offset=0&length=10").status, 400);
  EXPECT_EQ(Get("/files/download?path=/sb/fifo").status, 400);
  HttpResponse browse = Get("/files/browse?path=/sb");
  EXPECT_THAT(browse.body, HasSubstr(R"("mode":"prw-r--r--")"));
}

TEST_F(FilesApiTest, RefusesDotDotSegments) {
  ExpectRefused("/files/read?path=/sb/../secret.txt&offset=0", 400);
  ExpectRefused("/files/download?path=/sb/../secret.txt", 400);
  ExpectRefused("/files/browse?path=/sb/..", 400);
  ExpectRefused("/files/read?path=/sb/sub/../../secret.txt&offset=0", 400);
  // Even when it would stay inside: clients never need it.
  EXPECT_EQ(Get("/files/read?path=/sb/sub/../stdout&offset=0").status, 400);
  // "." segments are harmless and dropped.
  EXPECT_EQ(Get("/files/read?path=/sb/./stdout&offset=0").body,
            R"({"data":"hello world\n","offset":0})");
}

TEST_F(FilesApiTest, RefusesPercentEncodedDotDot) {
  ExpectRefused("/files/read?path=/sb/%2e%2e/secret.txt&offset=0", 400);
  ExpectRefused("/files/download?path=%2Fsb%2F%2E%2E%2Fsecret.txt", 400);
  // Decoded once only: "%2e%2e" is then a (missing) file name, not a parent directory.
  ExpectRefused("/files/download?path=/sb/%252e%252e/secret.txt", 404);
}

TEST_F(FilesApiTest, ResolvesAbsolutePathsAfterThePrefixInsideTheSandbox) {
  const std::string secret = base_ + "/secret.txt";
  ExpectRefused(StrCat("/files/download?path=/sb", secret), 404);
  ExpectRefused(StrCat("/files/download?path=/sb/", secret), 404);
  ExpectRefused(StrCat("/files/download?path=", secret), 404);
  ExpectRefused(StrCat("/files/browse?path=/sb/", base_), 404);
}

TEST_F(FilesApiTest, RefusesSymlinksLeavingTheSandbox) {
  ExpectRefused("/files/read?path=/sb/link_out&offset=0", 404);
  ExpectRefused("/files/download?path=/sb/link_out", 404);
  ExpectRefused("/files/browse?path=/sb/link_out", 404);
  ExpectRefused("/files/browse?path=/sb/link_dir_out", 404);
  ExpectRefused("/files/download?path=/sb/link_dir_out/secret.txt", 404);
  // A symlink that stays inside works.
  EXPECT_EQ(Get("/files/read?path=/sb/link_in&offset=0&length=5").body,
            R"({"data":"hello","offset":0})");
}

TEST_F(FilesApiTest, RefusesASiblingDirectorySharingThePrefix) {
  // base/sandbox-evil starts with the string base/sandbox but is not below it.
  ExpectRefused("/files/download?path=/sb/link_sibling", 404);
  ExpectRefused("/files/read?path=/sb/link_sibling&offset=0", 404);
  // Virtual prefixes match whole segments too.
  ExpectRefused("/files/download?path=/sb-evil/x.txt", 404);
  ExpectRefused("/files/download?path=/sbx/stdout", 404);
}

TEST_F(FilesApiTest, ListsAttachmentsOnDebug) {
  EXPECT_EQ(Get("/files/debug").body, StrCat(R"({"/sb":")", sandbox_, R"("})"));
}

TEST_F(FilesApiTest, AttachNormalizesAndValidates) {
  EXPECT_TRUE(files_.Attach("deep//nested/", sandbox_).ok());
  EXPECT_EQ(Get("/files/read?path=/deep/nested/stdout&offset=0&length=5").body,
            R"({"data":"hello","offset":0})");
  EXPECT_FALSE(files_.Attach("/a/../b", sandbox_).ok());
  EXPECT_FALSE(files_.Attach("/a/./b", sandbox_).ok());
  EXPECT_FALSE(files_.Attach("/", sandbox_).ok());
  EXPECT_FALSE(files_.Attach("/rel", "relative/dir").ok());
  files_.Detach("/deep/nested/");
  EXPECT_EQ(Get("/files/read?path=/deep/nested/stdout").status, 404);
  EXPECT_EQ(Get("/files/debug").body, StrCat(R"({"/sb":")", sandbox_, R"("})"));
}

TEST_F(FilesApiTest, LongestAttachedPrefixWins) {
  ASSERT_TRUE(files_.Attach("/sb/sub", base_ + "/sandbox-evil").ok());
  EXPECT_EQ(Get("/files/download?path=/sb/sub/x.txt").body, kSecret);
  EXPECT_EQ(Get("/files/download?path=/sb/stdout").body, "hello world\n");
}

TEST_F(FilesApiTest, ServesASingleAttachedFile) {
  ASSERT_TRUE(files_.Attach("/agent/log", sandbox_ + "/sub/a.txt").ok());
  EXPECT_EQ(Get("/files/read?path=/agent/log&offset=0").body, R"({"data":"a","offset":0})");
  EXPECT_EQ(Get("/files/read?path=/agent/log/x").status, 404);
  EXPECT_THAT(Get("/files/browse?path=/agent/log").body, HasSubstr(R"("path":"/agent/log",)"));
}

TEST_F(FilesApiTest, AnAttachmentMayAppearLater) {
  ASSERT_TRUE(files_.Attach("/later", base_ + "/later").ok());
  EXPECT_EQ(Get("/files/browse?path=/later").status, 404);
  std::filesystem::create_directories(base_ + "/later");
  Write(base_ + "/later/f", "x");
  EXPECT_EQ(Get("/files/download?path=/later/f").body, "x");
}

TEST_F(FilesApiTest, AllowsOnlyGetAndHead) {
  HttpResponse post = Get("/files/read?path=/sb/stdout", "POST");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(*post.Header("Allow"), "GET, HEAD");
  EXPECT_EQ(Get("/files/read?path=/sb/stdout", "HEAD").status, 200);
}

TEST_F(FilesApiTest, ServesThroughTheHttpServer) {
  EventLoop loop;
  HttpServer server(loop, {}, [&](const HttpRequest& request, auto responder) {
    if (files_.Handles(request.target)) {
      responder->Respond(files_.Handle(request));
    } else {
      responder->Respond(HttpResponse::Text(404, "no\n"));
    }
  });
  ASSERT_TRUE(server.Start().ok());
  HttpResponse response =
      testing::FetchOnLoop(loop, server.port(), "GET", "/files/read?path=%2Fsb%2Fstdout&offset=0");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"data":"hello world\n","offset":0})");
}

}  // namespace
}  // namespace atl::io
