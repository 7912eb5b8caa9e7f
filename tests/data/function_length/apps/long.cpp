// Fixture of the ctest test apps.long_function_is_caught (tests/tools/check_function_length.py):
// too_long spans 81 lines and must be reported; just_right spans 80 and must not.
// Braces in comments { and strings "}" must not confuse the brace matching. Never compiled.
#include <string>

namespace almkit::cli {

namespace {

int too_long(int x) {
  x += 0;  // {
  x += 1;  // {
  x += 2;  // {
  x += 3;  // {
  x += 4;  // {
  x += 5;  // {
  x += 6;  // {
  x += 7;  // {
  x += 8;  // {
  x += 9;  // {
  x += 10;  // {
  x += 11;  // {
  x += 12;  // {
  x += 13;  // {
  x += 14;  // {
  x += 15;  // {
  x += 16;  // {
  x += 17;  // {
  x += 18;  // {
  x += 19;  // {
  x += 20;  // {
  x += 21;  // {
  x += 22;  // {
  x += 23;  // {
  x += 24;  // {
  x += 25;  // {
  x += 26;  // {
  x += 27;  // {
  x += 28;  // {
  x += 29;  // {
  x += 30;  // {
  x += 31;  // {
  x += 32;  // {
  x += 33;  // {
  x += 34;  // {
  x += 35;  // {
  x += 36;  // {
  x += 37;  // {
  x += 38;  // {
  x += 39;  // {
  x += 40;  // {
  x += 41;  // {
  x += 42;  // {
  x += 43;  // {
  x += 44;  // {
  x += 45;  // {
  x += 46;  // {
  x += 47;  // {
  x += 48;  // {
  x += 49;  // {
  x += 50;  // {
  x += 51;  // {
  x += 52;  // {
  x += 53;  // {
  x += 54;  // {
  x += 55;  // {
  x += 56;  // {
  x += 57;  // {
  x += 58;  // {
  x += 59;  // {
  x += 60;  // {
  x += 61;  // {
  x += 62;  // {
  x += 63;  // {
  x += 64;  // {
  x += 65;  // {
  x += 66;  // {
  x += 67;  // {
  x += 68;  // {
  x += 69;  // {
  x += 70;  // {
  x += 71;  // {
  x += 72;  // {
  x += 73;  // {
  x += 74;  // {
  x += 75;  // {
  x += 76;  // {
  x += 77;  // {
  x += 78;  // {
}

int just_right(int x) {
  x += std::string("}").size() + 0;
  x += std::string("}").size() + 1;
  x += std::string("}").size() + 2;
  x += std::string("}").size() + 3;
  x += std::string("}").size() + 4;
  x += std::string("}").size() + 5;
  x += std::string("}").size() + 6;
  x += std::string("}").size() + 7;
  x += std::string("}").size() + 8;
  x += std::string("}").size() + 9;
  x += std::string("}").size() + 10;
  x += std::string("}").size() + 11;
  x += std::string("}").size() + 12;
  x += std::string("}").size() + 13;
  x += std::string("}").size() + 14;
  x += std::string("}").size() + 15;
  x += std::string("}").size() + 16;
  x += std::string("}").size() + 17;
  x += std::string("}").size() + 18;
  x += std::string("}").size() + 19;
  x += std::string("}").size() + 20;
  x += std::string("}").size() + 21;
  x += std::string("}").size() + 22;
  x += std::string("}").size() + 23;
  x += std::string("}").size() + 24;
  x += std::string("}").size() + 25;
  x += std::string("}").size() + 26;
  x += std::string("}").size() + 27;
  x += std::string("}").size() + 28;
  x += std::string("}").size() + 29;
  x += std::string("}").size() + 30;
  x += std::string("}").size() + 31;
  x += std::string("}").size() + 32;
  x += std::string("}").size() + 33;
  x += std::string("}").size() + 34;
  x += std::string("}").size() + 35;
  x += std::string("}").size() + 36;
  x += std::string("}").size() + 37;
  x += std::string("}").size() + 38;
  x += std::string("}").size() + 39;
  x += std::string("}").size() + 40;
  x += std::string("}").size() + 41;
  x += std::string("}").size() + 42;
  x += std::string("}").size() + 43;
  x += std::string("}").size() + 44;
  x += std::string("}").size() + 45;
  x += std::string("}").size() + 46;
  x += std::string("}").size() + 47;
  x += std::string("}").size() + 48;
  x += std::string("}").size() + 49;
  x += std::string("}").size() + 50;
  x += std::string("}").size() + 51;
  x += std::string("}").size() + 52;
  x += std::string("}").size() + 53;
  x += std::string("}").size() + 54;
  x += std::string("}").size() + 55;
  x += std::string("}").size() + 56;
  x += std::string("}").size() + 57;
  x += std::string("}").size() + 58;
  x += std::string("}").size() + 59;
  x += std::string("}").size() + 60;
  x += std::string("}").size() + 61;
  x += std::string("}").size() + 62;
  x += std::string("}").size() + 63;
  x += std::string("}").size() + 64;
  x += std::string("}").size() + 65;
  x += std::string("}").size() + 66;
  x += std::string("}").size() + 67;
  x += std::string("}").size() + 68;
  x += std::string("}").size() + 69;
  x += std::string("}").size() + 70;
  x += std::string("}").size() + 71;
  x += std::string("}").size() + 72;
  x += std::string("}").size() + 73;
  x += std::string("}").size() + 74;
  x += std::string("}").size() + 75;
  x += std::string("}").size() + 76;
  x += std::string("}").size() + 77;
}

}  // namespace

}  // namespace almkit::cli
