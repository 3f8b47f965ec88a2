"""Defaults. instance/config.py overrides them, and CMS_* environment variables override both
(`app.config.from_prefixed_env("CMS")`: CMS_TIMEZONE sets TIMEZONE, values parsed as JSON when they
parse). README.md has the table of every setting."""

# Database: SQLite in instance/ unless CMS_SQLALCHEMY_DATABASE_URI names another (PostgreSQL).
SQLALCHEMY_DATABASE_URI = None  # filled in create_app: sqlite:///<instance>/cms.db
SQLALCHEMY_ENGINE_OPTIONS: dict = {}

TIMEZONE = "Asia/Shanghai"
NOTICE_DAYS = 7  # C12: regular posts are requested about a week ahead
WORKING_HOURS = "09:00-18:00"

# Follower comments (issue 15, C16): a reply is due this many hours after the comment, counted in
# working hours of working days ("working_hours", CMS_WORKING_HOURS and the holidays) or on the
# clock ("wall_clock"); terms a reply may never name besides unreleased confidential posts' titles.
COMMENT_REPLY_HOURS = 24
COMMENT_DEADLINE_MODE = "working_hours"
COMMENT_CONFIDENTIAL_TERMS: list = []
COMMENT_PAGE_SIZE = 49  # comment/list count per call (below 50: 88010)

# Login and passwords (policies U2 U3)
PASSWORD_MIN_LENGTH = 10
PASSWORD_MIN_CLASSES = 3
PASSWORD_HISTORY = 5
PASSWORD_MAX_AGE_DAYS = 90
LOGIN_MAX_FAILURES = 5
LOGIN_LOCK_MINUTES = 15
LOGIN_IP_MAX_FAILURES = 20  # failures from one IP address within LOGIN_LOCK_MINUTES

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
REMEMBER_COOKIE_HTTPONLY = True
PERMANENT_SESSION_LIFETIME = 8 * 3600

# Background jobs: sqlite:///instance/huey.db by default; redis://host:port/db when scaled out.
HUEY_URL = None

# Platforms (sandbox on loopback in `make run` and the tests; the real hosts in production)
SANDBOX = False
WECHAT_API_BASE_URL = "https://api.weixin.qq.com/cgi-bin/"
WECOM_API_BASE_URL = "https://qyapi.weixin.qq.com/cgi-bin/"
WECHATPAY_API_BASE_URL = "https://api.mch.weixin.qq.com/"
TOUTIAO_API_BASE_URL = ""
# WeCom application messages for notifications (cms/notify): sent only when all three are set.
# A user's WeCom userid is their CMS username.
WECOM_CORP_ID = ""
WECOM_SECRET = ""  # the Secret of the WeCom application (自建应用) that sends
WECOM_AGENT_ID = None  # that application's AgentId, e.g. 1000002
# The daily WeCom directory sync (cms/auth/directory.py) departs whoever WeCom says has left (U4),
# confirmed in the name of this administrator's username ("" = the first active system administrator).
DIRECTORY_SYNC_ADMIN = ""
# The CMS's address as users' browsers reach it: links sent outside the CMS (WeCom) start with it.
PUBLIC_BASE_URL = "http://127.0.0.1:5000"
# With SANDBOX on, channels without their own base URL talk to the sandbox served here (make run's
# address), never to a real platform.
SANDBOX_URL = "http://127.0.0.1:5000/"
PLATFORM_TIMEOUT = 10  # seconds for one platform HTTP call
# Where access tokens are shared by every process: "" = the database; redis://host:6379/1 = Redis.
TOKEN_STORAGE_URL = ""
# Seconds a process keeps its copy of what it read there (wechatpy reads the token three times a
# call); dropped at once when the platform refuses the token. 0 reads the storage every time.
TOKEN_CACHE_SECONDS = 10

# Work groups (G1-G12, cms/groups; README "Work groups"). GROUP_CATEGORIES: a JSON object
# {key: {label, nickname, temporary, scope: {titles, departments, roles, own_department, externals}}}
# replacing the seeds' defaults of those keys (cms/groups/rules.py DEFAULT_CATEGORIES); None: defaults.
GROUP_CATEGORIES = None
GROUP_MAX_PER_EMPLOYEE = 10  # G9: more groups than this is flagged (a warning, not a refusal)
GROUP_NEW_HIRE_WORKDAYS = 3  # G5 (§8)
GROUP_REMOVAL_HOURS = 48  # G6 (§17)
GROUP_DISSOLUTION_DAYS = 5  # G7 (§4)
GROUP_REVIEW_DAYS = 90  # G3: owners are reminded to review the membership this often
GROUP_ANSWER_MINUTES = 30  # G11 (§8)

# Channel credentials (C17): changed regularly, with a reminder ahead of the date.
CHANNEL_SECRET_MAX_AGE_DAYS = 90
CHANNEL_SECRET_REMIND_DAYS = 14

# WeChat Pay (seed §9): the daily limit per account in fen (P5: 5,000 yuan), raised for one day by a
# leader's override only.
PAYMENT_DAILY_LIMIT_FEN = 500000

# Publishing (the outbox): attempts before a retryable error fails; threads per run, one per
# publication in flight (as many as one claim takes, so that everything due at once is started at
# once: starts take turns and first calls go before later ones, cms/publishing/starts.py; the
# threads mostly wait on the platform); a claim's life without a save (a killed worker's
# publications resume after it); waits folded into one run; status polling; a factor on every
# retry and poll delay (tests use 0); publications one claim takes at most.
PUBLISH_MAX_ATTEMPTS = 5
PUBLISH_POOL = 200
PUBLISH_LEASE_SECONDS = 120
PUBLISH_INLINE_WAIT_SECONDS = 5
PUBLISH_POLL_SECONDS = 2
PUBLISH_RETRY_SCALE = 1.0
PUBLISH_BATCH = 200

# WeChat → us (cms/callbacks): a signed push whose timestamp is further than this from our clock,
# either way, is refused as a replay. WeChat retries within about 15 s; 5 minutes also absorbs a
# platform clock a little off, as other signed webhooks do (WeChat Pay v3, Slack).
CALLBACK_MAX_AGE_SECONDS = 300
# Where the nonces of the pushes taken are held while their timestamp is fresh, so an exact replay
# is refused by every process: "" = the database (table callback_nonce); redis://host:6379/2 = Redis.
CALLBACK_NONCE_URL = ""

# Followers (cms/followers, issue 15): their messages and our answers are kept this many days, then
# deleted by a daily task (audited with the counts, never the words); the daily figures fetch asks
# the platform for this many days up to yesterday (it revises the last few days).
FOLLOWER_MESSAGE_RETENTION_DAYS = 180
FOLLOWER_FIGURES_DAYS = 3

# Keys: generated once into instance/ on one machine; from CMS_SECRET_KEY and
# CMS_ENCRYPTION_KEYS (a JSON list, newest first) when scaled out.
SECRET_KEY = None
ENCRYPTION_KEYS = None

# Sent on every response. No inline script anywhere (every script is a static file with a src), so
# article HTML shown inside logged-in pages could not run script even if sanitising ever missed.
# style-src keeps 'unsafe-inline' because article HTML is styled by inline style attributes (what
# WeChat keeps and 135editor/Xiumi paste): the sanitiser's CSS allowlist governs those. img-src
# takes http(s) too: the sanitiser lets articles show images from http(s) URLs, which cannot run
# script; data: is Bootstrap's own icons. CMS_CONTENT_SECURITY_POLICY replaces it whole.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'self'; form-action 'self'; img-src 'self' data: https: http:; "
    "style-src 'self' 'unsafe-inline'"
)

# The number of reverse proxies in front of the app (nginx, a load balancer): with N > 0 the app
# believes the last N X-Forwarded-For/-Proto/-Host values (werkzeug ProxyFix), so the per-IP
# login throttle (U3) and the audit trail see the browser's address, not the proxy's. 0 (the
# default) believes no such header: set it only when a proxy really is there and overwrites them.
TRUSTED_PROXIES = 0

BABEL_DEFAULT_LOCALE = "zh_CN"
BABEL_DEFAULT_TIMEZONE = "UTC"
BOOTSTRAP_SERVE_LOCAL = True
WTF_CSRF_TIME_LIMIT = None  # tied to the session instead: a long edit does not lose its form
MAX_CONTENT_LENGTH = 25 * 1024 * 1024

# Images (cms/content/images.py): a picture of more pixels than this is refused from its header,
# before decoding (decoding, cleaning and re-encoding peak at about 11 bytes a pixel: measured 343 MB
# for 30 megapixels, 572 MB for 50); 30 megapixels keeps every phone's and most cameras' normal
# output. At most this many pictures decode at once in one process (uploads, platform fitting,
# cover crops); more wait their turn.
IMAGE_MAX_PIXELS = 30_000_000
IMAGE_DECODE_CONCURRENCY = 2
