//! A client of the web app that keeps its cookies and reads forms' CSRF tokens, as a browser
//! would, without following redirects (the tests assert them).

use std::collections::BTreeMap;

use procura::domain::user::{Email, Role};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Response, StatusCode};

use crate::helpers::TestApp;

pub struct WebClient {
    pub address: String,
    http: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
    /// Every `Set-Cookie` header received, in full, for asserting its attributes.
    pub set_cookies: Vec<String>,
}

/// What came back: status, `Location`, headers and body.
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    /// The value of the first hidden `csrf` field of the page.
    pub fn csrf(&self) -> String {
        field_value(&self.body, "csrf").expect("the page has a form with a CSRF token")
    }
}

/// The `value` of the first input named `name` in `html`.
pub fn field_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

impl WebClient {
    pub fn new(address: &str) -> Self {
        Self {
            address: address.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
            set_cookies: Vec::new(),
        }
    }

    async fn keep(&mut self, response: Response) -> Answer {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap().to_owned();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
            self.set_cookies.push(text);
        }
        Answer {
            status: response.status(),
            location: response
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned()),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn fetch(&self, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", self.address))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let response = self.fetch(path).await;
        self.keep(response).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let response = self
            .http
            .post(format!("{}{path}", self.address))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep(response).await
    }

    /// Posts a multipart form as a browser sends a file input: the `csrf` field, then `file`
    /// as the field `name` with its `content_type`.
    pub async fn post_file(
        &mut self,
        path: &str,
        csrf: &str,
        name: &str,
        content_type: &str,
        file: &[u8],
    ) -> Answer {
        let boundary = "----procura-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"logo\"\r\n\
             Content-Type: {content_type}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let response = self
            .http
            .post(format!("{}{path}", self.address))
            .header(COOKIE, self.cookie_header())
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep(response).await
    }

    /// The bytes at `path`, with the status and content type.
    pub async fn get_bytes(&mut self, path: &str) -> (StatusCode, String, Vec<u8>) {
        let response = self.fetch(path).await;
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (
            status,
            content_type,
            response.bytes().await.unwrap().to_vec(),
        )
    }

    /// Posts `form` with the CSRF token of the page at `page`.
    pub async fn submit(&mut self, page: &str, action: &str, form: &[(&str, &str)]) -> Answer {
        let csrf = self.get(page).await.csrf();
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        self.post(action, &fields).await
    }

    /// Follows a one-time link and sets `password` there.
    pub async fn set_password(&mut self, link: &str, password: &str) -> Answer {
        let path = &link[self.address.len()..];
        let csrf = self.get(path).await.csrf();
        self.post(
            path,
            &[
                ("csrf", &csrf),
                ("password", password),
                ("confirm", password),
            ],
        )
        .await
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> Answer {
        let csrf = self.get("/app/sign-in").await.csrf();
        self.post(
            "/app/sign-in",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }
}

pub const PASSWORD: &str = "a long enough password";

/// A user of the app's first account with `role`, its password set, signed in.
pub async fn signed_in(app: &TestApp, email: &str, role: Role) -> WebClient {
    let mut web = WebClient::new(&app.address);
    let (_, link) = procura::web::create_user(
        app.store.as_ref(),
        app.account_id,
        &Email::parse(email).unwrap(),
        role,
        &app.address,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(web.set_password(&link, PASSWORD).await.status, 303);
    let answer = web.sign_in(email, PASSWORD).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    web
}
