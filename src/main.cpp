#include <yooni/app/app.hpp>

int main(int argc, char** argv) { return yooni::app::run(argc, argv); }
