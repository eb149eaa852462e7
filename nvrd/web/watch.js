/* nvrd /watch player: live video (WebSocket + Media Source, then hls.js, then native HLS)
 * and recorded video (MP4 files from /api/vod, played back to back), with overlays and a
 * right-click menu. Plain JavaScript, no build step. The server puts the settings in
 * <script type="application/json" id="nvrd-config"> (see nvrd/api/watch.py).
 *
 * For tests and embedding pages, window.nvrdPlayer reports what the page is doing:
 * {state, mode, fileId, message, messageKey, firstTime, currentTime()}.
 */
(() => {
  'use strict';

  const cfg = JSON.parse(document.getElementById('nvrd-config').textContent);
  const $ = (id) => document.getElementById(id);
  const playerEl = $('player');
  const titleEl = $('title');
  const timeEl = $('time');
  const msgEl = $('message');
  const menuEl = $('menu');
  const toastEl = $('toast');
  const videos = [$('video-a'), $('video-b')];

  // ---------------------------------------------------------------- texts

  const TEXTS = {
    'en-US': {
      loading: 'Loading…',
      reconnecting: 'Reconnecting…',
      streamLost: 'Video signal lost. Reconnecting…',
      noRecording: 'No recording at {time}',
      waitingRecording: 'Waiting for more recordings…',
      badCredentials: 'Wrong user ID or password.',
      signIn: 'Sign-in required: add auth= (base64 of uid:password) to the address.',
      noRight: 'This account may not view this video.',
      lockedOut: 'Too many failed sign-ins; try again later.',
      noChannel: 'No such channel.',
      badWhen: 'Invalid date and time in when=.',
      badParam: 'Invalid value in {name}= (true or false).',
      noSupport: 'This browser cannot play this video.',
      copyUrl: 'Copy video URL',
      copyEmbed: 'Copy embed code',
      copied: 'Copied',
      copyFailed: 'Could not copy',
    },
    'ko-KR': {
      loading: '불러오는 중…',
      reconnecting: '다시 연결하는 중…',
      streamLost: '영상 신호가 끊겼습니다. 다시 연결하는 중…',
      noRecording: '{time}에 녹화된 영상이 없습니다',
      waitingRecording: '다음 녹화 영상을 기다리는 중…',
      badCredentials: '사용자 ID 또는 비밀번호가 올바르지 않습니다.',
      signIn: '로그인이 필요합니다: 주소에 auth=(uid:password의 base64)를 추가하세요.',
      noRight: '이 계정으로는 이 영상을 볼 수 없습니다.',
      lockedOut: '로그인 실패가 너무 많습니다. 잠시 후 다시 시도하세요.',
      noChannel: '존재하지 않는 채널입니다.',
      badWhen: 'when=의 날짜와 시간이 올바르지 않습니다.',
      badParam: '{name}= 값이 올바르지 않습니다 (true 또는 false).',
      noSupport: '이 브라우저에서는 이 영상을 재생할 수 없습니다.',
      copyUrl: '동영상 URL 복사',
      copyEmbed: '삽입 코드 복사',
      copied: '복사되었습니다',
      copyFailed: '복사하지 못했습니다',
    },
    'es-ES': {
      loading: 'Cargando…',
      reconnecting: 'Reconectando…',
      streamLost: 'Se perdió la señal de vídeo. Reconectando…',
      noRecording: 'No hay grabación en {time}',
      waitingRecording: 'Esperando más grabaciones…',
      badCredentials: 'Usuario o contraseña incorrectos.',
      signIn: 'Se requiere iniciar sesión: añada auth= (base64 de uid:contraseña) a la dirección.',
      noRight: 'Esta cuenta no puede ver este vídeo.',
      lockedOut: 'Demasiados intentos fallidos; inténtelo más tarde.',
      noChannel: 'El canal no existe.',
      badWhen: 'Fecha y hora no válidas en when=.',
      badParam: 'Valor no válido en {name}= (true o false).',
      noSupport: 'Este navegador no puede reproducir este vídeo.',
      copyUrl: 'Copiar URL del vídeo',
      copyEmbed: 'Copiar código para insertar',
      copied: 'Copiado',
      copyFailed: 'No se pudo copiar',
    },
    'ja-JP': {
      loading: '読み込み中…',
      reconnecting: '再接続中…',
      streamLost: '映像信号が途切れました。再接続中…',
      noRecording: '{time} の録画はありません',
      waitingRecording: '次の録画を待っています…',
      badCredentials: 'ユーザーIDまたはパスワードが正しくありません。',
      signIn: 'ログインが必要です：アドレスに auth=（uid:password の base64）を追加してください。',
      noRight: 'このアカウントではこの映像を表示できません。',
      lockedOut: 'ログインの失敗が多すぎます。しばらくしてから再試行してください。',
      noChannel: 'チャンネルが存在しません。',
      badWhen: 'when= の日時が正しくありません。',
      badParam: '{name}= の値が正しくありません (true または false)。',
      noSupport: 'このブラウザではこの映像を再生できません。',
      copyUrl: '動画のURLをコピー',
      copyEmbed: '埋め込みコードをコピー',
      copied: 'コピーしました',
      copyFailed: 'コピーできませんでした',
    },
    'zh-CN': {
      loading: '正在加载…',
      reconnecting: '正在重新连接…',
      streamLost: '视频信号中断，正在重新连接…',
      noRecording: '{time} 没有录像',
      waitingRecording: '正在等待更多录像…',
      badCredentials: '用户名或密码错误。',
      signIn: '需要登录：请在地址中添加 auth=（uid:password 的 base64 编码）。',
      noRight: '此帐户无权观看此视频。',
      lockedOut: '登录失败次数过多，请稍后再试。',
      noChannel: '通道不存在。',
      badWhen: 'when= 中的日期时间无效。',
      badParam: '{name}= 的值无效 (true 或 false)。',
      noSupport: '此浏览器无法播放此视频。',
      copyUrl: '复制视频网址',
      copyEmbed: '复制嵌入代码',
      copied: '已复制',
      copyFailed: '无法复制',
    },
    'zh-TW': {
      loading: '正在載入…',
      reconnecting: '正在重新連線…',
      streamLost: '視訊訊號中斷，正在重新連線…',
      noRecording: '{time} 沒有錄影',
      waitingRecording: '正在等待更多錄影…',
      badCredentials: '使用者名稱或密碼錯誤。',
      signIn: '需要登入：請在網址中加入 auth=（uid:password 的 base64 編碼）。',
      noRight: '此帳戶無權觀看此視訊。',
      lockedOut: '登入失敗次數過多，請稍後再試。',
      noChannel: '頻道不存在。',
      badWhen: 'when= 中的日期時間無效。',
      badParam: '{name}= 的值無效 (true 或 false)。',
      noSupport: '此瀏覽器無法播放此視訊。',
      copyUrl: '複製視訊網址',
      copyEmbed: '複製嵌入程式碼',
      copied: '已複製',
      copyFailed: '無法複製',
    },
    'de-DE': {
      loading: 'Wird geladen…',
      reconnecting: 'Verbindung wird wiederhergestellt…',
      streamLost: 'Videosignal verloren. Verbindung wird wiederhergestellt…',
      noRecording: 'Keine Aufnahme um {time}',
      waitingRecording: 'Warte auf weitere Aufnahmen…',
      badCredentials: 'Falsche Benutzer-ID oder falsches Passwort.',
      signIn: 'Anmeldung erforderlich: auth= (Base64 von uid:Passwort) an die Adresse anhängen.',
      noRight: 'Dieses Konto darf dieses Video nicht ansehen.',
      lockedOut: 'Zu viele fehlgeschlagene Anmeldungen; bitte später erneut versuchen.',
      noChannel: 'Diesen Kanal gibt es nicht.',
      badWhen: 'Ungültiges Datum oder ungültige Uhrzeit in when=.',
      badParam: 'Ungültiger Wert in {name}= (true oder false).',
      noSupport: 'Dieser Browser kann dieses Video nicht abspielen.',
      copyUrl: 'Video-URL kopieren',
      copyEmbed: 'Einbettungscode kopieren',
      copied: 'Kopiert',
      copyFailed: 'Kopieren fehlgeschlagen',
    },
    'fr-FR': {
      loading: 'Chargement…',
      reconnecting: 'Reconnexion…',
      streamLost: 'Signal vidéo perdu. Reconnexion…',
      noRecording: 'Aucun enregistrement à {time}',
      waitingRecording: "En attente d'autres enregistrements…",
      badCredentials: 'Identifiant ou mot de passe incorrect.',
      signIn: "Connexion requise : ajoutez auth= (base64 de uid:mot de passe) à l'adresse.",
      noRight: "Ce compte n'est pas autorisé à voir cette vidéo.",
      lockedOut: 'Trop d’échecs de connexion ; réessayez plus tard.',
      noChannel: "Ce canal n'existe pas.",
      badWhen: 'Date et heure invalides dans when=.',
      badParam: 'Valeur invalide dans {name}= (true ou false).',
      noSupport: 'Ce navigateur ne peut pas lire cette vidéo.',
      copyUrl: "Copier l'URL de la vidéo",
      copyEmbed: "Copier le code d'intégration",
      copied: 'Copié',
      copyFailed: 'Impossible de copier',
    },
    'vi-VN': {
      loading: 'Đang tải…',
      reconnecting: 'Đang kết nối lại…',
      streamLost: 'Mất tín hiệu video. Đang kết nối lại…',
      noRecording: 'Không có bản ghi lúc {time}',
      waitingRecording: 'Đang chờ thêm bản ghi…',
      badCredentials: 'Sai ID người dùng hoặc mật khẩu.',
      signIn: 'Cần đăng nhập: thêm auth= (base64 của uid:mật khẩu) vào địa chỉ.',
      noRight: 'Tài khoản này không được xem video này.',
      lockedOut: 'Đăng nhập sai quá nhiều lần; vui lòng thử lại sau.',
      noChannel: 'Kênh không tồn tại.',
      badWhen: 'Ngày giờ trong when= không hợp lệ.',
      badParam: 'Giá trị trong {name}= không hợp lệ (true hoặc false).',
      noSupport: 'Trình duyệt này không phát được video này.',
      copyUrl: 'Sao chép URL video',
      copyEmbed: 'Sao chép mã nhúng',
      copied: 'Đã sao chép',
      copyFailed: 'Không sao chép được',
    },
  };

  /** The dictionary for `lang`: exact code, then same language, then English. */
  function pickTexts(lang) {
    const want = String(lang || '').replace(/_/g, '-').toLowerCase();
    const codes = Object.keys(TEXTS);
    const exact = codes.find((c) => c.toLowerCase() === want);
    const primary = codes.find((c) => c.split('-')[0].toLowerCase() === want.split('-')[0]);
    return Object.assign({}, TEXTS['en-US'], TEXTS[exact || primary || 'en-US']);
  }

  const texts = pickTexts(cfg.lang);

  function t(key, params) {
    const text = texts[key] || key;
    return text.replace(/\{(\w+)\}/g, (m, name) => (params && name in params ? params[name] : m));
  }

  /** Date and time in the page's language and the server's time zone. */
  function makeFormatter() {
    const tags = [cfg.lang, String(cfg.lang || '').split('-')[0], 'en-US'].filter(Boolean);
    for (const zone of [cfg.timezone, undefined]) {
      for (const tag of tags) {
        try {
          return new Intl.DateTimeFormat(tag, {
            dateStyle: 'medium',
            timeStyle: 'medium',
            timeZone: zone,
          });
        } catch (e) {
          // an unknown language tag or zone: try the next
        }
      }
    }
    return new Intl.DateTimeFormat();
  }

  const formatter = makeFormatter();

  // ---------------------------------------------------------------- state

  const player = {
    state: 'loading',
    mode: null,
    fileId: null,
    message: '',
    messageKey: null,
    /** The date-time shown when playback first started (recorded video). */
    firstTime: null,
    currentTime: () => shownTime(),
  };
  window.nvrdPlayer = player;

  function setState(state) {
    player.state = state;
    playerEl.dataset.state = state;
  }

  function showMessage(key, params, isError) {
    const text = t(key, params);
    msgEl.textContent = text;
    msgEl.classList.toggle('error', !!isError);
    player.message = text;
    player.messageKey = key;
  }

  function clearMessage() {
    msgEl.textContent = '';
    msgEl.classList.remove('error');
    player.message = '';
    player.messageKey = null;
  }

  function fail(key, params) {
    stopAll();
    setState('error');
    showMessage(key, params, true);
  }

  // ---------------------------------------------------------------- URLs

  const authValue = cfg.auth ? String(cfg.auth).replace(/ /g, '+') : null;

  /** `url` with the page's credentials, when the page was opened with auth=. */
  function withAuth(url) {
    if (!authValue) return url;
    const u = new URL(url, location.href);
    if (u.origin !== location.origin || u.searchParams.has('auth')) return u.href;
    u.searchParams.set('auth', authValue);
    return u.href;
  }

  function apiUrl(path, params) {
    const u = new URL(path, location.href);
    for (const [k, v] of Object.entries(params || {})) u.searchParams.set(k, v);
    return withAuth(u.href);
  }

  async function api(path, params) {
    const resp = await fetch(apiUrl(path, params), { cache: 'no-store', credentials: 'same-origin' });
    if (!resp.ok) {
      const err = new Error('HTTP ' + resp.status);
      err.status = resp.status;
      throw err;
    }
    return resp.json();
  }

  function apiFailure(err) {
    const keys = { 401: 'badCredentials', 403: 'noRight', 404: 'noChannel', 429: 'lockedOut' };
    return keys[err && err.status] || null;
  }

  /** This page's address without credentials (auth=, login=, session=), other parameters
   * kept exactly as written. */
  function videoUrl() {
    const href = location.href.split('#')[0];
    const q = href.indexOf('?');
    if (q < 0) return href;
    const kept = href
      .slice(q + 1)
      .split('&')
      .filter((part) => {
        if (!part) return false;
        let name = part.split('=')[0];
        try {
          name = decodeURIComponent(name.replace(/\+/g, ' '));
        } catch (e) {
          // keep the raw name
        }
        return !['auth', 'login', 'session'].includes(name.toLowerCase());
      });
    return href.slice(0, q) + (kept.length ? '?' + kept.join('&') : '');
  }

  function embedCode() {
    const src = videoUrl().replace(/'/g, '%27');
    return `<iframe src='${src}' width='640' height='360' frameborder='0' allowfullscreen></iframe>`;
  }

  // ---------------------------------------------------------------- overlays

  let activeIndex = 0;
  const active = () => videos[activeIndex];
  const standby = () => videos[1 - activeIndex];

  function shownTime() {
    if (!['live', 'recorded', 'waiting'].includes(player.state)) return null;
    if (!cfg.live) {
      const file = rec.files[rec.index];
      if (!file) return null;
      return new Date(file.start.getTime() + active().currentTime * 1000);
    }
    if (live.hls && live.hls.playingDate) return new Date(live.hls.playingDate.getTime());
    let behind = 0;
    const v = active();
    if (player.mode === 'ws' && v.buffered.length) {
      behind = Math.max(0, v.buffered.end(v.buffered.length - 1) - v.currentTime);
    }
    return new Date(Date.now() - behind * 1000);
  }

  function drawOverlays() {
    const showTitle = cfg.showTitle && !!cfg.title && !cfg.error;
    titleEl.hidden = !showTitle;
    if (showTitle) titleEl.textContent = cfg.title;
    const when = cfg.showPlayTime ? shownTime() : null;
    timeEl.hidden = !when;
    if (when) timeEl.textContent = formatter.format(when);
  }

  // ---------------------------------------------------------------- live

  const RETRY_MS = 3000;
  const FIRST_DATA_MS = 4000;
  const STALL_MS = 6000;
  const transport = ['ws', 'hls', 'native'].includes(cfg.transport) ? cfg.transport : 'auto';

  const live = {
    gen: 0, // every (re)start gets a new generation; callbacks of older ones do nothing
    ws: null,
    hls: null,
    wsUsable: false, // the socket opened once: worth trying again after a fallback
    lastProgress: 0,
    lastTime: -1,
    streamLost: false,
    stream: 'main', // main or sub (liveStream)
    retryTimer: null,
    pending: false, // a retry is scheduled
  };

  function stopLive() {
    live.gen += 1;
    clearTimeout(live.retryTimer);
    live.pending = false;
    live.lastProgress = performance.now();
    if (live.ws) {
      live.ws.onopen = live.ws.onmessage = live.ws.onclose = live.ws.onerror = null;
      try {
        live.ws.close();
      } catch (e) {
        // already closed
      }
      live.ws = null;
    }
    if (live.hls) {
      live.hls.destroy();
      live.hls = null;
    }
    const v = active();
    v.pause();
    v.removeAttribute('src');
    v.load();
    v.playbackRate = 1;
    live.streamLost = false;
  }

  function stopAll() {
    stopLive();
    rec.gen += 1;
    clearTimeout(rec.pollTimer);
  }

  // Which of the channel's streams to show: the camera's sub stream (lower resolution) in a
  // small player, the main one otherwise; stream=main|sub in the page's URL decides instead.
  const SMALL_PLAYER_PX = 800; // the player's width in device pixels below which sub is shown

  function liveStream() {
    if (!cfg.sub) return 'main';
    if (cfg.stream === 'main' || cfg.stream === 'sub') return cfg.stream;
    const width = (playerEl.clientWidth || window.innerWidth) * (window.devicePixelRatio || 1);
    return width < SMALL_PLAYER_PX ? 'sub' : 'main';
  }

  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (cfg.live && !cfg.error && liveStream() !== live.stream) startLive();
    }, 500);
  });

  function startLive() {
    live.stream = liveStream();
    playerEl.dataset.stream = live.stream;
    setState('loading');
    showMessage('loading');
    const mse = 'MediaSource' in window;
    if ((transport === 'auto' || transport === 'ws') && mse) startWs();
    else if (transport === 'native') startNative();
    else startHls();
  }

  /** Try again in a few seconds, showing "Reconnecting…". With transport=auto, WebSocket
   * first, unless the last socket was refused: then HLS. */
  function retryLive() {
    const mode = player.mode;
    stopLive();
    setState('reconnecting');
    showMessage('reconnecting');
    live.pending = true;
    const gen = live.gen;
    live.retryTimer = setTimeout(() => {
      live.pending = false;
      if (gen !== live.gen) return;
      if (transport === 'ws') startWs();
      else if (transport === 'hls') startHls();
      else if (transport === 'native') startNative();
      else if (mode === 'ws' && !live.wsUsable) startHls();
      else startWs(); // the low-latency stream first, also after an HLS failure
    }, RETRY_MS);
  }

  function playing(v) {
    const p = v.play();
    if (p && p.catch) p.catch(() => {});
  }

  function markProgress(v) {
    if (v.currentTime !== live.lastTime) {
      live.lastTime = v.currentTime;
      live.lastProgress = performance.now();
      const ready = !v.paused && v.readyState >= 2 && !live.streamLost;
      if (cfg.live && player.state !== 'live' && ready) {
        setState('live');
        clearMessage();
      }
    }
  }

  function wsUrl() {
    const u = new URL('wsapi/live', location.href);
    u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('ch', String(cfg.ch));
    u.searchParams.set('stream', live.stream);
    if (authValue) u.searchParams.set('auth', authValue);
    return u.href;
  }

  function startWs() {
    stopLive();
    const gen = live.gen;
    player.mode = 'ws';
    const v = active();
    v.muted = true;
    let ms = null;
    let sb = null;
    let queue = [];
    let gotData = false;
    let opened = false;
    let ws;
    try {
      ws = new WebSocket(wsUrl());
    } catch (e) {
      live.wsUsable = false;
      if (transport === 'auto') startHls();
      else retryLive();
      return;
    }
    ws.binaryType = 'arraybuffer';
    live.ws = ws;
    live.lastProgress = performance.now();

    const firstData = setTimeout(() => {
      if (gen !== live.gen || gotData) return;
      // Nothing came: the stream is down, or something on the way holds the data back.
      if (transport === 'auto') startHls();
      else retryLive();
    }, FIRST_DATA_MS);

    function keepLive() {
      const b = v.buffered;
      if (!b.length) return false;
      const start = b.start(0);
      const end = b.end(b.length - 1);
      if (v.currentTime < start || end - v.currentTime > 1.0) {
        v.currentTime = Math.max(start, end - 0.2);
      }
      v.playbackRate = end - v.currentTime > 0.5 ? 1.1 : 1;
      if (v.currentTime - start > 20 && !sb.updating) {
        sb.remove(start, v.currentTime - 10);
        return true;
      }
      return false;
    }

    function pump() {
      if (!sb || sb.updating || !queue.length || ms.readyState !== 'open') return;
      const total = queue.reduce((n, b) => n + b.byteLength, 0);
      const data = new Uint8Array(total);
      let at = 0;
      for (const b of queue) {
        data.set(new Uint8Array(b), at);
        at += b.byteLength;
      }
      queue = [];
      try {
        sb.appendBuffer(data);
      } catch (e) {
        if (e.name === 'QuotaExceededError' && v.buffered.length) {
          queue.unshift(data.buffer);
          sb.remove(v.buffered.start(0), Math.max(v.buffered.start(0) + 0.1, v.currentTime - 1));
        } else {
          retryLive();
        }
      }
    }

    function newStream(mime) {
      if (!window.MediaSource.isTypeSupported(mime)) {
        live.wsUsable = false;
        if (transport === 'auto') startHls();
        else fail('noSupport');
        return;
      }
      queue = [];
      sb = null;
      ms = new MediaSource();
      const url = URL.createObjectURL(ms);
      ms.addEventListener(
        'sourceopen',
        () => {
          URL.revokeObjectURL(url);
          if (gen !== live.gen) return;
          sb = ms.addSourceBuffer(mime);
          sb.mode = 'sequence';
          sb.addEventListener('updateend', () => {
            if (gen !== live.gen) return;
            if (!keepLive()) pump();
            if (v.paused) playing(v);
          });
          pump();
        },
        { once: true },
      );
      v.src = url;
      playing(v);
    }

    ws.onopen = () => {
      opened = true;
      live.wsUsable = true;
    };
    ws.onmessage = (ev) => {
      if (gen !== live.gen) return;
      if (typeof ev.data === 'string') {
        let msg = {};
        try {
          msg = JSON.parse(ev.data);
        } catch (e) {
          return;
        }
        if (msg.type === 'init') {
          live.streamLost = false;
          newStream(msg.mime || `video/mp4; codecs="${msg.codec}"`);
        } else if (msg.type === 'status') {
          live.streamLost = true;
          setState('reconnecting');
          showMessage('streamLost');
        }
        return;
      }
      gotData = true;
      clearTimeout(firstData);
      queue.push(ev.data);
      pump();
    };
    ws.onclose = (ev) => {
      if (gen !== live.gen) return;
      clearTimeout(firstData);
      live.ws = null;
      if (ev.code === 4401) {
        fail('badCredentials');
      } else if (!opened) {
        live.wsUsable = false; // refused: a proxy without WebSocket, or no such endpoint
        if (transport === 'auto') startHls();
        else retryLive();
      } else if (ev.code === 4408) {
        startWs(); // fell behind: start again at the live edge
      } else {
        retryLive();
      }
    };
  }

  let hlsLoader = null;

  function loadHlsJs() {
    if (window.Hls) return Promise.resolve(window.Hls);
    if (!hlsLoader) {
      hlsLoader = new Promise((resolve) => {
        const s = document.createElement('script');
        s.src = 'static/vendor/hls.min.js';
        s.onload = () => resolve(window.Hls || null);
        s.onerror = () => {
          hlsLoader = null; // the server may be down: try again next time
          s.remove();
          resolve(null);
        };
        document.head.appendChild(s);
      });
    }
    return hlsLoader;
  }

  function hlsUrl() {
    return new URL(`hls/ch${cfg.ch}${live.stream}/index.m3u8`, location.href).href;
  }

  async function startHls() {
    stopLive();
    const gen = live.gen;
    player.mode = 'hls';
    const Hls = await loadHlsJs();
    if (gen !== live.gen) return;
    if (!Hls || !Hls.isSupported()) {
      startNative();
      return;
    }
    const v = active();
    v.muted = true;
    const hls = new Hls({
      liveSyncDurationCount: 1,
      liveMaxLatencyDurationCount: 3,
      maxLiveSyncPlaybackRate: 1.5,
      backBufferLength: 10,
      manifestLoadingMaxRetry: 1,
      // Every request carries the page's credentials: in a cross-site <iframe> the session
      // cookie is not sent.
      xhrSetup: (xhr, url) => xhr.open('GET', withAuth(url), true),
      fetchSetup: (context, init) => new Request(withAuth(context.url), init),
    });
    live.hls = hls;
    live.lastProgress = performance.now();
    hls.on(Hls.Events.ERROR, (event, data) => {
      if (gen !== live.gen || !data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
        return;
      }
      const status = data.response && data.response.code;
      if (status === 401) fail('badCredentials');
      else retryLive();
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => playing(v));
    hls.loadSource(hlsUrl());
    hls.attachMedia(v);
  }

  function startNative() {
    stopLive();
    const gen = live.gen;
    player.mode = 'native';
    const v = active();
    if (!v.canPlayType('application/vnd.apple.mpegurl')) {
      fail('noSupport');
      return;
    }
    live.lastProgress = performance.now();
    v.muted = true;
    v.onerror = () => {
      if (gen === live.gen && player.mode === 'native') retryLive();
    };
    v.src = withAuth(hlsUrl());
    playing(v);
  }

  /** Live watchdog: no progress for a while means the stream is gone; start again. */
  function watchLive() {
    if (!cfg.live || player.state === 'error') return;
    const v = active();
    markProgress(v);
    if (live.pending) return;
    if (player.mode === 'ws' && live.streamLost && live.ws) return; // the server will re-init
    if (performance.now() - live.lastProgress > STALL_MS) retryLive();
  }

  // ---------------------------------------------------------------- recorded

  const NEAR_AFTER_MS = 24 * 3600 * 1000;

  const rec = {
    gen: 0,
    files: [],
    index: 0,
    standbyIndex: -1,
    pollTimer: null,
    fetching: null,
  };

  function toFile(item) {
    const src = (item.src || []).find((s) => Array.isArray(s.timeRange)) || null;
    if (!src) return null;
    return {
      fileId: item.fileId,
      src: src.src,
      start: new Date(src.timeRange[0]),
      end: new Date(src.timeRange[1]),
    };
  }

  function addFiles(items) {
    const known = new Set(rec.files.map((f) => f.fileId));
    for (const item of items) {
      const file = toFile(item);
      if (file && !known.has(file.fileId)) {
        rec.files.push(file);
        known.add(file.fileId);
      }
    }
  }

  /** Files after the last one known; resolves to whether there are new ones. */
  function fetchMore() {
    if (!rec.fetching) {
      const last = rec.files[rec.files.length - 1];
      const before = rec.files.length;
      rec.fetching = api('api/vod', { ch: cfg.ch, id: last.fileId, next: '', limit: 10 })
        .then((items) => addFiles(items))
        .catch(() => {})
        .then(() => {
          rec.fetching = null;
          return rec.files.length > before;
        });
    }
    return rec.fetching;
  }

  function load(v, file, offset, then) {
    v.onloadedmetadata = () => {
      v.onloadedmetadata = null;
      if (offset > 0) v.currentTime = Math.min(offset, Math.max(0, v.duration - 0.05));
      if (then) then();
    };
    v.src = withAuth(file.src);
  }

  async function prepareNext() {
    const gen = rec.gen;
    const next = rec.index + 1;
    if (next >= rec.files.length && !(await fetchMore())) return;
    if (gen !== rec.gen || rec.standbyIndex === next || next >= rec.files.length) return;
    rec.standbyIndex = next;
    const v = standby();
    v.autoplay = false;
    load(v, rec.files[next], 0, null);
  }

  function showFile(index) {
    rec.index = index;
    player.fileId = rec.files[index].fileId;
    videos.forEach((v, i) => v.classList.toggle('active', i === activeIndex));
  }

  function playFile(index, offset) {
    const gen = rec.gen;
    const v = active();
    v.autoplay = false;
    showFile(index);
    rec.standbyIndex = -1;
    load(v, rec.files[index], offset, () => {
      if (gen === rec.gen) playing(v);
    });
    prepareNext();
  }

  async function nextFile() {
    const gen = rec.gen;
    const next = rec.index + 1;
    if (rec.standbyIndex === next && standby().readyState >= 1) {
      const old = active();
      activeIndex = 1 - activeIndex;
      showFile(next);
      rec.standbyIndex = -1;
      playing(active());
      old.pause();
      old.removeAttribute('src');
      old.load();
      prepareNext();
      return;
    }
    if (next < rec.files.length || (await fetchMore())) {
      if (gen === rec.gen) playFile(next, 0);
      return;
    }
    if (gen !== rec.gen) return;
    // The newest recording is still being written: wait for it.
    setState('waiting');
    showMessage('waitingRecording');
    rec.pollTimer = setTimeout(() => {
      if (gen === rec.gen) nextFile();
    }, 2000);
  }

  function onRecordedEvent(ev) {
    const v = ev.target;
    if (cfg.live || v !== active()) return;
    if (ev.type === 'ended') {
      nextFile();
    } else if (ev.type === 'error' && v.getAttribute('src')) {
      nextFile(); // a file that vanished (overwritten) or failed: go on with the next one
    } else if (ev.type === 'playing' || ev.type === 'timeupdate') {
      if (!v.paused && player.state !== 'recorded') {
        setState('recorded');
        clearMessage();
      }
      if (!player.firstTime && ev.type === 'playing') player.firstTime = shownTime();
    }
  }

  async function startRecorded() {
    const gen = ++rec.gen;
    player.mode = 'file';
    setState('loading');
    showMessage('loading');
    let items;
    try {
      items = await api('api/vod', {
        ch: cfg.ch,
        when: cfg.when,
        otherwise: 'nearAfter',
        limit: 10,
      });
    } catch (err) {
      if (gen !== rec.gen) return;
      const key = apiFailure(err);
      if (key) {
        fail(key);
      } else {
        setState('reconnecting');
        showMessage('reconnecting');
        rec.pollTimer = setTimeout(startRecorded, RETRY_MS);
      }
      return;
    }
    if (gen !== rec.gen) return;
    const when = new Date(cfg.when);
    // The nearest later recording, when nothing covers `when`, only if it is the same day's
    // (when=today plays from the first recording of today, not from one years later).
    addFiles(items.filter((item) => {
      const file = toFile(item);
      return file && file.start.getTime() - when.getTime() < NEAR_AFTER_MS;
    }));
    if (!rec.files.length) {
      setState('error');
      showMessage('noRecording', { time: formatter.format(when) }, true);
      return;
    }
    const offset = Math.max(0, (when.getTime() - rec.files[0].start.getTime()) / 1000);
    playFile(0, offset);
  }

  // ---------------------------------------------------------------- menu

  let longPress = null;

  function openMenu(x, y) {
    menuEl.hidden = false;
    const w = menuEl.offsetWidth;
    const h = menuEl.offsetHeight;
    menuEl.style.left = Math.max(0, Math.min(x, window.innerWidth - w - 2)) + 'px';
    menuEl.style.top = Math.max(0, Math.min(y, window.innerHeight - h - 2)) + 'px';
  }

  function closeMenu() {
    menuEl.hidden = true;
  }

  let toastTimer = null;

  function toast(key) {
    toastEl.textContent = t(key);
    toastEl.hidden = false;
    player.toast = key;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => {
      toastEl.hidden = true;
    }, 1500);
  }

  function copyWithCommand(text) {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch (e) {
      ok = false;
    }
    area.remove();
    return ok;
  }

  async function copy(text) {
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext !== false) {
        await navigator.clipboard.writeText(text);
        ok = true;
      }
    } catch (e) {
      ok = false;
    }
    if (!ok) ok = copyWithCommand(text);
    toast(ok ? 'copied' : 'copyFailed');
  }

  function setupMenu() {
    for (const li of menuEl.querySelectorAll('li')) {
      li.textContent = t(li.dataset.action === 'url' ? 'copyUrl' : 'copyEmbed');
      li.addEventListener('click', (ev) => {
        ev.stopPropagation();
        closeMenu();
        copy(li.dataset.action === 'url' ? videoUrl() : embedCode());
      });
    }
    playerEl.addEventListener('contextmenu', (ev) => {
      ev.preventDefault();
      openMenu(ev.clientX, ev.clientY);
    });
    playerEl.addEventListener(
      'touchstart',
      (ev) => {
        const touch = ev.touches[0];
        clearTimeout(longPress);
        longPress = setTimeout(() => openMenu(touch.clientX, touch.clientY), 600);
      },
      { passive: true },
    );
    for (const name of ['touchend', 'touchcancel', 'touchmove']) {
      playerEl.addEventListener(name, () => clearTimeout(longPress), { passive: true });
    }
    document.addEventListener('click', (ev) => {
      if (!menuEl.contains(ev.target)) closeMenu();
    });
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') closeMenu();
    });
    window.addEventListener('blur', closeMenu);
  }

  // ---------------------------------------------------------------- start

  function start() {
    document.documentElement.lang = cfg.lang || 'en-US';
    setupMenu();
    for (const v of videos) {
      v.muted = true;
      v.playsInline = true;
      v.preload = 'auto';
      for (const name of ['ended', 'error', 'playing', 'timeupdate']) {
        v.addEventListener(name, onRecordedEvent);
      }
      v.addEventListener('timeupdate', () => cfg.live && markProgress(v));
    }
    setInterval(drawOverlays, 250);
    if (cfg.error) {
      setState('error');
      showMessage(cfg.error.key, cfg.error, true);
      drawOverlays();
      return;
    }
    drawOverlays();
    if (cfg.live) {
      setInterval(watchLive, 1000);
      startLive();
    } else {
      startRecorded();
    }
  }

  start();
})();
