# Debian packages: every system install of the build is declared here and goes through
# scripts/apt-install.sh (the only caller of `apt-get install`; `make dist`'s cross tools call it
# from scripts/dist/setup.sh), each only when its command is missing. (Named apt.mk so that it is
# read before the mk/*.mk files whose targets depend on these targets.)
#
#   make java-tools    java (11+) and mvn: openjdk-17-jdk-headless, maven   (test-jmeter)
#   make chromium      Debian's chromium (playwright cannot download its own here)   (test-playground)
#   make redis-server  Debian's redis-server   (test-redis)
#   make go-tool       Debian's Go, for `go install` of actionlint   (test-release)

JAVA_STAMP := $(STAMPS)/java-tools
CHROMIUM_STAMP := $(STAMPS)/chromium
MVN ?= mvn

REDIS_SERVER ?= redis-server

.PHONY: java-tools chromium redis-server go-tool

java-tools: $(JAVA_STAMP)

$(JAVA_STAMP):
	@java_ok() { command -v java >/dev/null && \
	  v=$$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ { print $$2 }') && \
	  [ "$${v%%.*}" -ge 11 ]; }; \
	if java_ok; then scripts/apt-install.sh $(MVN)=maven; \
	else scripts/apt-install.sh openjdk-17-jdk-headless $(MVN)=maven; fi
	java -version 2>&1 | head -1
	@mkdir -p $(@D) && touch $@

chromium: $(CHROMIUM_STAMP)

$(CHROMIUM_STAMP):
	@scripts/apt-install.sh chromium=chromium
	@mkdir -p $(@D) && touch $@

redis-server:
	@scripts/apt-install.sh $(REDIS_SERVER)=redis-server
	@$(REDIS_SERVER) --version

go-tool:
	@scripts/apt-install.sh go=golang-go
